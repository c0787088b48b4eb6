/* The simpki-card command line (card_cli.c); main() only calls this. */
#pragma once

/*! Run simpki-card with its arguments. \returns the process exit code (listed in `simpki-card --help`) */
int card_cli_main(int argc, char **argv);

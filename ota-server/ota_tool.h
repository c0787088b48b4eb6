/* simpki-ota's command line (ota_tool.c); main() is in simpki-ota.c so tests can link the rest. */
#pragma once

/*! Run simpki-ota with \a argc / \a argv as main() gets them. \returns the exit code */
int ota_tool_main(int argc, char **argv);

/* simpki-card: the simulated SIM's command line. Everything is in card_cli.c. */
#include "card_cli.h"

int main(int argc, char **argv)
{
	return card_cli_main(argc, argv);
}

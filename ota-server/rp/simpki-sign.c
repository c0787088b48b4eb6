/* simpki-sign: a relying party's command line over simpki-otad's relying-party API (rp_main.c, library rp-core). */
#include "rp.h"

int main(int argc, char **argv)
{
	return rp_main(argc, argv);
}

/* simpki-admin: the operator's command line over simpki-otad's operator API (admin_main.c, library admin-core). */
#include "admin.h"

int main(int argc, char **argv)
{
	return admin_main(argc, argv);
}

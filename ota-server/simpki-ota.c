/* simpki-ota: encode and decode OTA secured packets (ota_tool.c). */
#include "ota_tool.h"

int main(int argc, char **argv)
{
	return ota_tool_main(argc, argv);
}

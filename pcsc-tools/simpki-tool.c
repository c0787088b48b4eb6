/* simpki-tool: the service counter's tool. Everything is in tool_cli.c and tool_keys.c. */
#include "tool.h"

int main(int argc, char **argv)
{
	return tool_main(argc, argv);
}

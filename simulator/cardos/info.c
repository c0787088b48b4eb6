/* Text of `simpki-card info` that applets contribute through their describe() hook (card_applet.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "os_internal.h"

struct card_info {
	char *buf;
	size_t len; /* characters written, always < cap */
	size_t cap;
};

void card_info_line(struct card_info *info, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (info->cap - info->len < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(info->buf + info->len, info->cap - info->len - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= info->cap - info->len - 1) {
		info->buf[info->len] = '\0'; /* a line that does not fit is dropped whole */
		return;
	}
	info->len += (size_t)n;
	info->buf[info->len++] = '\n';
	info->buf[info->len] = '\0';
}

int card_os_describe(struct card_os *os, unsigned idx, char *buf, size_t len)
{
	struct card_info info = { .buf = buf, .cap = len };

	if (idx >= os->napplets || !len)
		return -ENOENT;
	buf[0] = '\0';
	if (os->applets[idx]->describe)
		os->applets[idx]->describe(&os->ctx[idx], &info);
	return (int)info.len;
}

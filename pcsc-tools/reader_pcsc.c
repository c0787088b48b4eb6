/* The PC/SC backend of reader.h (libpcsclite, pcscd). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>

#include "reader.h"

struct reader {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD protocol;
	char name[256];
};

static int map_error(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS:
		return 0;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_READER_UNAVAILABLE:
		return -ENXIO;
	case SCARD_E_UNKNOWN_READER:
		return -ENODEV;
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
		return -ENOMEDIUM;
	case SCARD_E_SHARING_VIOLATION:
		return -EBUSY;
	default:
		return -EIO;
	}
}

const char *reader_strerror(int err)
{
	switch (err) {
	case -ENXIO:
		return "no card reader found (is pcscd running, and the reader plugged in?)";
	case -ENODEV:
		return "there is no reader by that name (see 'simpki-tool readers')";
	case -ENOMEDIUM:
		return "no card in the reader";
	case -EBUSY:
		return "another program is using the card";
	default:
		return "the reader or the card stopped answering";
	}
}

/* The reader names as a PC/SC multi-string, allocated. */
static int reader_names(SCARDCONTEXT ctx, char **out)
{
	DWORD len = 0;
	LONG rv = SCardListReaders(ctx, NULL, NULL, &len);
	char *buf;

	if (rv != SCARD_S_SUCCESS)
		return map_error(rv);
	buf = calloc(1, len + 1);
	if (!buf)
		return -ENOMEM;
	rv = SCardListReaders(ctx, NULL, buf, &len);
	if (rv != SCARD_S_SUCCESS) {
		free(buf);
		return map_error(rv);
	}
	*out = buf;
	return 0;
}

static bool card_present(SCARDCONTEXT ctx, const char *name)
{
	SCARD_READERSTATE st = { .szReader = name, .dwCurrentState = SCARD_STATE_UNAWARE };

	return SCardGetStatusChange(ctx, 0, &st, 1) == SCARD_S_SUCCESS && (st.dwEventState & SCARD_STATE_PRESENT);
}

int reader_pcsc_list(void (*cb)(const char *name, int card_present, void *arg), void *arg)
{
	SCARDCONTEXT ctx;
	char *names;
	int n = 0, rc;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);

	if (rv != SCARD_S_SUCCESS)
		return map_error(rv);
	rc = reader_names(ctx, &names);
	if (!rc) {
		for (const char *p = names; *p; p += strlen(p) + 1, n++)
			cb(p, card_present(ctx, p), arg);
		free(names);
	}
	SCardReleaseContext(ctx);
	return rc ? rc : n;
}

static int pcsc_open(const char *name, struct reader **out)
{
	struct reader *r = calloc(1, sizeof(*r));
	char *names = NULL;
	const char *pick = name;
	LONG rv;
	int rc;

	if (!r)
		return -ENOMEM;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &r->ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(r);
		return map_error(rv);
	}
	rc = reader_names(r->ctx, &names);
	if (!rc && !name) {
		pick = NULL;
		for (const char *p = names; *p && !pick; p += strlen(p) + 1) {
			if (card_present(r->ctx, p))
				pick = p;
		}
		if (!pick)
			rc = -ENOMEDIUM;
	}
	if (!rc) {
		strncpy(r->name, pick, sizeof(r->name) - 1);
		rv = SCardConnect(r->ctx, r->name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &r->card,
				  &r->protocol);
		rc = map_error(rv);
	}
	free(names);
	if (rc) {
		SCardReleaseContext(r->ctx);
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static int pcsc_transmit(struct reader *r, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len)
{
	const SCARD_IO_REQUEST *pci = r->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD rlen = (DWORD)*resp_len;
	LONG rv = SCardTransmit(r->card, pci, cmd, (DWORD)len, NULL, resp, &rlen);

	if (rv != SCARD_S_SUCCESS)
		return map_error(rv);
	if (rlen < 2)
		return -EIO;
	*resp_len = rlen;
	return 0;
}

static int pcsc_atr(struct reader *r, uint8_t *atr, size_t max)
{
	BYTE buf[MAX_ATR_SIZE];
	DWORD len = sizeof(buf), state, proto, namelen = 0;
	LONG rv = SCardStatus(r->card, NULL, &namelen, &state, &proto, buf, &len);

	if (rv != SCARD_S_SUCCESS)
		return map_error(rv);
	if (len > max)
		return -E2BIG;
	memcpy(atr, buf, len);
	return (int)len;
}

static const char *pcsc_name(struct reader *r)
{
	return r->name;
}

static void pcsc_close(struct reader *r)
{
	if (!r)
		return;
	SCardDisconnect(r->card, SCARD_LEAVE_CARD);
	SCardReleaseContext(r->ctx);
	free(r);
}

const struct reader_ops reader_pcsc = {
	.name = "pcsc",
	.open = pcsc_open,
	.transmit = pcsc_transmit,
	.atr = pcsc_atr,
	.reader_name = pcsc_name,
	.close = pcsc_close,
};

/* Command APDU parsing and encoding; the accepted forms are listed in include/simpki/apdu.h. */
#include <errno.h>
#include <string.h>

#include <simpki/apdu.h>

int apdu_parse(const uint8_t *buf, size_t len, struct apdu_cmd *cmd)
{
	size_t body;

	if (!buf || len < 4)
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->cla = buf[0];
	cmd->ins = buf[1];
	cmd->p1 = buf[2];
	cmd->p2 = buf[3];
	body = len - 4;
	buf += 4;

	if (body == 0) {
		cmd->kase = APDU_CASE_1;
		return 0;
	}
	if (body == 1) {
		cmd->kase = APDU_CASE_2;
		cmd->ne = buf[0] ? buf[0] : APDU_SHORT_MAX_NE;
		return 0;
	}
	if (buf[0] != 0) {
		/* Short case 3 or 4: Lc, data, optional Le. */
		size_t lc = buf[0];

		if (body == 1 + lc) {
			cmd->kase = APDU_CASE_3;
		} else if (body == 2 + lc) {
			cmd->kase = APDU_CASE_4;
			cmd->ne = buf[1 + lc] ? buf[1 + lc] : APDU_SHORT_MAX_NE;
		} else {
			return -EINVAL;
		}
		cmd->lc = (uint32_t)lc;
		cmd->data = buf + 1;
		return 0;
	}
	/* First body byte 00 and more than one body byte: extended form. */
	cmd->extended = true;
	if (body == 3) {
		cmd->kase = APDU_CASE_2;
		cmd->ne = (uint32_t)(buf[1] << 8 | buf[2]);
		if (!cmd->ne)
			cmd->ne = APDU_EXT_MAX_NE;
		return 0;
	}
	if (body < 3)
		return -EINVAL;
	cmd->lc = (uint32_t)(buf[1] << 8 | buf[2]);
	if (cmd->lc == 0)
		return -EINVAL;
	if (body == 3 + cmd->lc) {
		cmd->kase = APDU_CASE_3;
	} else if (body == 5 + cmd->lc) {
		cmd->kase = APDU_CASE_4;
		cmd->ne = (uint32_t)(buf[3 + cmd->lc] << 8 | buf[4 + cmd->lc]);
		if (!cmd->ne)
			cmd->ne = APDU_EXT_MAX_NE;
	} else {
		return -EINVAL;
	}
	cmd->data = buf + 3;
	return 0;
}

static size_t apdu_encoded_len(const struct apdu_cmd *cmd, bool ext)
{
	size_t n = 4;

	if (cmd->lc)
		n += (ext ? 3 : 1) + cmd->lc;
	if (cmd->ne)
		n += ext ? (cmd->lc ? 2 : 3) : 1;
	return n;
}

int apdu_encode(const struct apdu_cmd *cmd, uint8_t *out, size_t max)
{
	bool ext = cmd->extended || cmd->lc > 255 || cmd->ne > APDU_SHORT_MAX_NE;
	size_t n = 4;

	if (cmd->lc > 65535 || cmd->ne > APDU_EXT_MAX_NE || (cmd->lc && !cmd->data))
		return -EINVAL;
	if (apdu_encoded_len(cmd, ext) > max)
		return -E2BIG;
	out[0] = cmd->cla;
	out[1] = cmd->ins;
	out[2] = cmd->p1;
	out[3] = cmd->p2;
	if (cmd->lc) {
		if (ext) {
			out[n++] = 0;
			out[n++] = (uint8_t)(cmd->lc >> 8);
		}
		out[n++] = (uint8_t)cmd->lc;
		memcpy(out + n, cmd->data, cmd->lc);
		n += cmd->lc;
	}
	if (cmd->ne) {
		if (ext) {
			if (!cmd->lc)
				out[n++] = 0;
			out[n++] = (uint8_t)(cmd->ne >> 8);
		}
		out[n++] = (uint8_t)cmd->ne; /* 256 -> 00, 65536 -> 0000 */
	}
	return (int)n;
}

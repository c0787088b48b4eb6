/* TLS-PSK for the SCP81 RAS (scp81_tls.h): what GP Amendment B Table 3-2 allows and cards are known to need (no
 * encrypt-then-MAC, no tickets; /work/shared/reference/scp81-bip.md §1). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "scp81_tls.h"

static const struct scp81_ops *g_ops;

/* TLS 1.3's TLS_AES_128_GCM_SHA256 */
static const unsigned char tls13_aes128gcmsha256[] = { 0x13, 0x01 };

/* The PSK for the identity of \a len bytes into \a psk; the identity is noted in \a peer. \returns the PSK's
 * length; 0 when unknown. */
static int lookup(struct scp81_tls_peer *peer, const unsigned char *identity, size_t len, uint8_t *psk, size_t max)
{
	char id[SCP81_PSK_ID_MAX + 1];
	int n;

	if (!identity || len == 0 || len > SCP81_PSK_ID_MAX) {
		peer->unknown = true;
		return 0;
	}
	memcpy(id, identity, len);
	id[len] = '\0';
	if (!scp81_psk_id_ok(id)) {
		peer->unknown = true;
		return 0;
	}
	memcpy(peer->identity, id, len + 1);
	n = g_ops->psk(id, psk, max);
	if (n < 16 || (size_t)n > max) {
		OPENSSL_cleanse(psk, max);
		peer->unknown = true;
		return 0;
	}
	peer->found = true;
	peer->unknown = false;
	return n;
}

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
	struct scp81_tls_peer *peer = SSL_get_app_data(ssl);
	uint8_t key[SCP81_PSK_MAX];
	int n;

	if (!identity)
		identity = "";
	n = lookup(peer, (const unsigned char *)identity, strnlen(identity, SCP81_PSK_ID_MAX + 1), key, sizeof(key));
	if (n > 0 && (unsigned)n <= max_psk_len)
		memcpy(psk, key, n);
	else
		n = 0;
	OPENSSL_cleanse(key, sizeof(key));
	return (unsigned)n;
}

static int psk_find_session_cb(SSL *ssl, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
	struct scp81_tls_peer *peer = SSL_get_app_data(ssl);
	uint8_t key[SCP81_PSK_MAX];
	const SSL_CIPHER *cipher;
	SSL_SESSION *s = NULL;
	int n;

	*sess = NULL;
	n = lookup(peer, identity, identity_len, key, sizeof(key));
	if (n <= 0)
		return 1; /* no PSK: the handshake fails (no certificate to fall back to) */
	cipher = SSL_CIPHER_find(ssl, tls13_aes128gcmsha256);
	if (cipher)
		s = SSL_SESSION_new();
	if (!s || !SSL_SESSION_set1_master_key(s, key, (size_t)n) || !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		OPENSSL_cleanse(key, sizeof(key));
		SSL_SESSION_free(s);
		return 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	*sess = s;
	return 1;
}

SSL_CTX *scp81_tls_ctx_new(const struct scp81_cfg *cfg, const struct scp81_ops *ops)
{
	const char *ciphers =
		cfg->null_cipher ? "PSK-AES128-CBC-SHA256:PSK-NULL-SHA256:@SECLEVEL=0" : "PSK-AES128-CBC-SHA256";
	int min = cfg->tls == SCP81_TLS_13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	int max = cfg->tls == SCP81_TLS_12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	SSL_CTX *ctx;

	g_ops = ops;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, min) || !SSL_CTX_set_max_proto_version(ctx, max) ||
	    !SSL_CTX_set_cipher_list(ctx, ciphers) || !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") ||
	    !SSL_CTX_set_num_tickets(ctx, 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_psk_server_callback(ctx, psk_server_cb);
	SSL_CTX_set_psk_find_session_callback(ctx, psk_find_session_cb);
	return ctx;
}

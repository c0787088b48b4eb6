/* The SCP81 RAS's connection (scp81_server.c) and what its VTY (scp81_vty.c) reads of the server. Internal. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <openssl/ssl.h>

#include "scp81_exchange.h"
#include "scp81_tls.h"

/* One TCP connection: its TLS, its exchange, the instance of the FSM (scp81_server.h) that owns it (talloc). */
struct scp81_conn {
	struct scp81_tls_peer peer; /* the SSL's app data: what the PSK callbacks saw */
	struct llist_head list;	    /* in the server's list */
	struct osmo_fsm_inst *fi;
	struct osmo_fd ofd;
	SSL *ssl;
	unsigned long id;
	char addr[32];	     /* the card's (handset's) IP:port */
	struct scp81_xchg x; /* the HTTP exchange */
	size_t woff;	     /* bytes of x.out sent */
	uint8_t pend[4096];  /* decrypted bytes after the request answered last, not yet fed */
	size_t pend_len;
	bool shut;	/* close_notify sent, the socket shut for writing */
	bool abnormal;	/* an error status answered or a time-out */
	int end_reason; /* what a script outstanding is reported ended with (-EPIPE, -ETIMEDOUT) */
};

/*! One line of text per session (for 'show scp81'). */
void scp81_server_show(void (*line)(void *arg, const char *text), void *arg);

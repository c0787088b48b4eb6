/* A libmicrohttpd daemon run from the libosmocore select loop (otad_mhd.c), for simpki-otad's operator API
 * (otad_api.c) and relying-party API (sign/sign_api.c): MHD's epoll fd is one osmo_fd, MHD's timeout one osmo_timer,
 * so the handlers run in the daemon's single thread.
 *
 * Contract: otad_mhd_start() starts the daemon on one IPv4 address, with TLS when the PEMs carry a certificate
 * (GnuTLS's defaults less TLS 1.0 and 1.1; client certificates asked for when they carry a trust), and frees the
 * PEMs in any case; the caller then owns the struct until otad_mhd_stop(). The struct is zero or stopped when
 * d is NULL. Nothing here logs: libmicrohttpd's own messages go to stderr (MHD_USE_ERROR_LOG), the caller words its
 * own. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>

#include <microhttpd.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

struct otad_tls_pem;

struct otad_mhd {
	struct MHD_Daemon *d;	      /* NULL: not running */
	struct osmo_fd ofd;	      /* MHD's epoll fd */
	struct osmo_timer_list timer; /* MHD's next timeout */
};

/*! Start \a m listening on \a sa (its port too) and register it in the select loop.
 *  \param[in] flags MHD_FLAG bits beyond MHD_USE_EPOLL, MHD_USE_ERROR_LOG and MHD_USE_TLS (which pem decides), e.g.
 *             MHD_ALLOW_SUSPEND_RESUME
 *  \param[in] handler, completed the access handler and MHD_OPTION_NOTIFY_COMPLETED callback (both with cls NULL)
 *  \param[in] opts further options (connection limits, timeouts), ending in MHD_OPTION_END
 *  \param[in,out] pem from otad_tls_setup() (and otad_tls_trust()); pem->cert NULL: plain HTTP. Always freed with
 *                 otad_tls_pem_free(), once MHD has the credentials in GnuTLS's
 *  \returns 0; -EADDRINUSE when MHD_start_daemon() fails (the port taken, or GnuTLS refusing the PEMs) */
int otad_mhd_start(struct otad_mhd *m, unsigned int flags, const struct sockaddr_in *sa,
		   MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback completed,
		   const struct MHD_OptionItem *opts, struct otad_tls_pem *pem);

/*! Have \a m run MHD from the select loop at once (after MHD_resume_connection(), say). */
void otad_mhd_poll_soon(struct otad_mhd *m);

/*! Unregister and stop \a m. \returns false when it was not running (nothing done) */
bool otad_mhd_stop(struct otad_mhd *m);

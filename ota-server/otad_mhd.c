/* A libmicrohttpd daemon in the libosmocore select loop (otad_mhd.h). */
#include <errno.h>

#include <microhttpd.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "otad_mhd.h"
#include "otad_tls.h"

static void poll_mhd(struct otad_mhd *m)
{
	MHD_UNSIGNED_LONG_LONG to;

	MHD_run(m->d);
	if (MHD_get_timeout(m->d, &to) == MHD_YES)
		osmo_timer_schedule(&m->timer, (long)(to / 1000), (long)(to % 1000) * 1000);
}

static int mhd_fd_cb(struct osmo_fd *fd, unsigned int what)
{
	poll_mhd(fd->data);
	return 0;
}

static void mhd_timer_cb(void *data)
{
	poll_mhd(data);
}

int otad_mhd_start(struct otad_mhd *m, unsigned int flags, const struct sockaddr_in *sa,
		   MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback completed,
		   const struct MHD_OptionItem *opts, struct otad_tls_pem *pem)
{
	bool tls = pem->cert != NULL;
	/* GnuTLS's defaults less TLS 1.0 and 1.1 */
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, pem->cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, pem->key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ MHD_OPTION_END, 0, NULL }, /* or MHD_OPTION_HTTPS_MEM_TRUST */
		{ MHD_OPTION_END, 0, NULL },
	};
	const union MHD_DaemonInfo *info;

	if (pem->trust)
		tls_opts[3] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, pem->trust };
	m->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | flags | (tls ? MHD_USE_TLS : 0),
				ntohs(sa->sin_port), NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_ARRAY,
				tls ? tls_opts : &tls_opts[4], MHD_OPTION_END);
	otad_tls_pem_free(pem); /* MHD_start_daemon() has them in GnuTLS's credentials; the key copy is wiped */
	if (!m->d)
		return -EADDRINUSE;
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	osmo_fd_setup(&m->ofd, info->epoll_fd, OSMO_FD_READ, mhd_fd_cb, m, 0);
	osmo_fd_register(&m->ofd);
	osmo_timer_setup(&m->timer, mhd_timer_cb, m);
	return 0;
}

void otad_mhd_poll_soon(struct otad_mhd *m)
{
	osmo_timer_schedule(&m->timer, 0, 0);
}

bool otad_mhd_stop(struct otad_mhd *m)
{
	if (!m->d)
		return false;
	osmo_fd_unregister(&m->ofd);
	osmo_timer_del(&m->timer);
	MHD_stop_daemon(m->d);
	m->d = NULL;
	return true;
}

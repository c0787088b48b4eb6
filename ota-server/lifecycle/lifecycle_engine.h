/* The lifecycle engine's side that the daemon, the VTY and the API use besides lifecycle.h: configuration, start,
 * resume after a restart, progress. The state table in lifecycle.c is the spec of an item's steps. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "otad_db_lifecycle.h"

struct otad_lc_cfg {
	unsigned concurrency;	/* items in a step at once, when an operation does not say (default 50) */
	unsigned retries;	/* temporary failures per item before it fails (default 8) */
	unsigned backoff_min_s; /* the first wait (default 15), doubling ... */
	unsigned backoff_max_s; /* ... up to this (default 600) */
	bool test_skip_ota;	/* BENCHMARKS ONLY: load and verify are taken as done without a job, so the
					* server side can be measured without a network; never in production */
};
extern struct otad_lc_cfg otad_lc_cfg;

/*! Start the module (after the enrolment and campaign modules: it chains the job hook). */
void otad_lc_init(void);
/*! Continue every operation running or paused. \returns the items in a step; -EIO */
int otad_lc_resume_all(void);
/*! Free everything in memory, leaving each item as stored. */
void otad_lc_stop_all(void);

struct otad_lc_progress {
	int64_t n[OTAD_LCI_N_STATES]; /* items per state */
	int64_t backoff;	      /* of those in a step: waiting for a try again */
	int64_t done;		      /* done + failed + cancelled + skipped */
	double per_minute;	      /* items over per minute, over the last five minutes */
	int64_t eta_s;		      /* -1: unknown */
};
/*! \returns 0; -EIO */
int otad_lc_progress(const struct otad_lc_op *op, struct otad_lc_progress *p);
/*! The CRLReason an operation's revocations carry: its own, or the kind's. */
int otad_lc_reason(const struct otad_lc_op *op);
/*! The permission an operation of \a kind needs. */
enum otad_action otad_lc_action(enum otad_lc_kind kind);
/*! CRLReason names (RFC 5280: "unspecified", "keyCompromise", ...). \returns the code; -EINVAL */
int otad_crl_reason_of(const char *name);
const char *otad_crl_reason_name(int reason);

/* For tests: the FSM. */
extern struct osmo_fsm otad_lci_fsm;

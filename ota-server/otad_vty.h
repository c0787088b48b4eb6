/* simpki-otad's VTY nodes, shared by otad_vty.c (the daemon's configuration and operator commands) and
 * otad_vty_pki.c (holders, units, certificates and the CA). */
#pragma once
#include <stdbool.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

enum otad_vty_node {
	OTAD_NODE = _LAST_OSMOVTY_NODE + 1,
	SMSC_NODE,
	CA_NODE,       /* 'ca' inside 'otad' */
	CAMPAIGN_NODE, /* 'campaign' inside 'otad' */
	SIGN_NODE,     /* 'signing' (sign/sign_vty.c) */
	SIGN_RP_NODE,  /* 'relying-party NAME' inside 'signing' */
	SCP81_NODE,    /* 'scp81' (scp81/scp81_vty.c) */
	LC_NODE,       /* 'lifecycle' inside 'otad' */
	AUDIT_NODE,    /* 'audit' (audit/audit_vty.c) */
};

/*! Install the commands of otad_vty_pki.c (after the 'otad' node is installed). */
void otad_vty_pki_init(void);
/*! Write the configuration lines of otad_vty_pki.c inside 'otad' (units-dir, the 'ca' node). */
void otad_vty_pki_write(struct vty *vty);
/*! The same for otad_vty_campaign.c (the 'campaign' node, campaign commands). */
void otad_vty_campaign_init(void);
void otad_vty_campaign_write(struct vty *vty);
/*! Install the organisation tree's commands of otad_vty_units.c (show unit-changes). */
void otad_vty_units_init(void);
/*! 'show unit CODE': a unit, its path, counts and history. \returns CMD_SUCCESS; CMD_WARNING */
int otad_vty_unit_show(struct vty *vty, const char *code);
/*! The same for otad_vty_bip.c (the 'bip' lines of the 'otad' node: jobs over SCP81). */
void otad_vty_bip_init(void);
void otad_vty_bip_write(struct vty *vty);
/*! The audit record of a VTY command that changes something, before it acts: actor otad_actor_vty, \a action
 *  (otad_action_names), the object (printf: "card 8984...", "token NAME", "campaign 3"), "accepted", the command
 *  line as the detail. When it cannot be written, says so on \a vty. \returns true to go on; false: do nothing
 *  (fail closed; CMD_WARNING) */
bool otad_vty_audit(struct vty *vty, const char *action, const char *object_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*! The requests' show commands (otad_vty_request.c). */
void otad_vty_request_init(void);
/*! The same for otad_vty_lifecycle.c (the 'lifecycle' node, lifecycle commands). */
void otad_vty_lifecycle_init(void);
void otad_vty_lifecycle_write(struct vty *vty);

/* simpki-otad's VTY nodes, shared by otad_vty.c (the daemon's configuration and operator commands) and
 * otad_vty_pki.c (holders, units, certificates and the CA). */
#pragma once
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
	AUDIT_NODE,    /* 'audit' (audit/audit_vty.c) */
};

/*! Install the commands of otad_vty_pki.c (after the 'otad' node is installed). */
void otad_vty_pki_init(void);
/*! Write the configuration lines of otad_vty_pki.c inside 'otad' (units-dir, the 'ca' node). */
void otad_vty_pki_write(struct vty *vty);
/*! The same for otad_vty_campaign.c (the 'campaign' node, campaign commands). */
void otad_vty_campaign_init(void);
void otad_vty_campaign_write(struct vty *vty);
/*! The same for otad_vty_bip.c (the 'bip' lines of the 'otad' node: jobs over SCP81). */
void otad_vty_bip_init(void);
void otad_vty_bip_write(struct vty *vty);

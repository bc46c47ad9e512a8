/*
 * routes.c — the one authorization table of the hub (DESIGN.md rule 9: default deny).
 *
 * A request is served only if its method and path match a row here and the principal's
 * role is in that row's set; everything else is 404 (no such route) or 403 (not yours).
 * Row-level limits sit in the handlers on top of this table: an operator sees its own
 * organisation only, a ministry its own sectors only, the Cabinet Office receives asset
 * notifications once forwarded. The first matching row wins, so fixed segments
 * ("overdue") come before a {} that would also match them.
 */
#include "hub/hub.h"

#define R(x) ROLE_BIT(ROLE_##x)
#define ALL_ROLES ((1u << ROLE_COUNT) - 1)
#define GOV (R(CABINET) | R(MINISTRY))

const struct hub_route hub_routes[] = {
	{ "GET", "/api/v1/whoami", ALL_ROLES, 0, h_whoami, "the caller's role and bindings" },

	/* registry: organisations, assets, asset notifications (Art. 4) */
	{ "GET", "/api/v1/orgs", GOV | R(OPERATOR) | R(COMMISSION), 0, h_orgs_list, "organisations" },
	{ "POST", "/api/v1/orgs", GOV, HUB_BODY_JSON, h_orgs_create, "register an operator organisation" },
	{ "POST", "/api/v1/assets", R(OPERATOR), HUB_BODY_JSON, h_assets_create, "notify a new critical computer" },
	{ "GET", "/api/v1/assets", GOV | R(OPERATOR), 0, h_assets_list, "registered assets" },
	{ "GET", "/api/v1/assets/{}", GOV | R(OPERATOR), 0, h_assets_get, "one asset with its history" },
	{ "POST", "/api/v1/assets/{}/changes", R(OPERATOR), HUB_BODY_JSON, h_assets_change, "notify a change" },
	{ "GET", "/api/v1/notifications", GOV | R(OPERATOR), 0, h_notifications_list, "asset notifications" },
	{ "POST", "/api/v1/notifications/{}/forward", R(MINISTRY), HUB_BODY_JSON, h_notifications_forward,
	  "forward a notification to the Cabinet Office" },

	/* reports: incidents, deadlines, corrective orders (Art. 5) */
	{ "POST", "/api/v1/incidents", R(OPERATOR), HUB_BODY_JSON, h_incidents_create, "prompt incident report" },
	{ "GET", "/api/v1/incidents", GOV | R(OPERATOR), 0, h_incidents_list, "incident reports" },
	{ "GET", "/api/v1/incidents/overdue", GOV, 0, h_incidents_overdue, "reports past a deadline" },
	{ "GET", "/api/v1/incidents/{}", GOV | R(OPERATOR), 0, h_incidents_get, "one incident report" },
	{ "POST", "/api/v1/incidents/{}/written", R(OPERATOR), HUB_BODY_JSON, h_incidents_written,
	  "written incident report" },
	{ "POST", "/api/v1/incidents/{}/orders", R(MINISTRY), HUB_BODY_JSON, h_orders_create,
	  "issue a corrective order" },
	{ "GET", "/api/v1/orders", GOV | R(OPERATOR), 0, h_orders_list, "corrective orders" },
	{ "POST", "/api/v1/orders/{}/status", R(MINISTRY) | R(OPERATOR), HUB_BODY_JSON, h_orders_update,
	  "record what happened to an order" },

	/* selected records (rules 6 and 7) */
	{ "POST", "/api/v1/records", R(SENSOR), HUB_BODY_LINES, h_records_ingest, "sensor records (JSON Lines)" },
	{ "GET", "/api/v1/records", R(CABINET) | R(COMMISSION), HUB_AUDIT_READ, h_records_list,
	  "selected records (audited)" },
	{ "POST", "/api/v1/approvals/{}/retention", R(COMMISSION), HUB_BODY_JSON, h_approvals_retention,
	  "extend an approval's retention" },

	/* audit log (rule 6) */
	{ "GET", "/api/v1/audit/key", ALL_ROLES, 0, h_audit_key, "the log's Ed25519 public key" },
	{ "GET", "/api/v1/audit/sth", R(COMMISSION) | R(CABINET), 0, h_audit_sth, "signed tree head" },
	{ "GET", "/api/v1/audit/entries", R(COMMISSION), 0, h_audit_entries, "log entries" },
	{ "GET", "/api/v1/audit/proof/inclusion", R(COMMISSION) | R(CABINET), 0, h_audit_inclusion,
	  "inclusion proof" },
	{ "GET", "/api/v1/audit/proof/consistency", R(COMMISSION) | R(CABINET), 0, h_audit_consistency,
	  "consistency proof" },

	{ NULL, NULL, 0, 0, NULL, NULL },
};

/* The update-change request of the reference, Tables 1-5, as data. Every
 * rule the validator enforces comes from these tables and nowhere else. */
#include <string.h>

#include "internal.h"

#define STR(name, lo, hi, choices) { name, sizeof(name) - 1, COC_K_STRING, lo, hi, choices, 0, 0, NULL }
#define BOOL(name) { name, sizeof(name) - 1, COC_K_BOOL, 0, 0, NULL, 0, 0, NULL }
#define INT(name, lo, hi) { name, sizeof(name) - 1, COC_K_INT, 0, 0, NULL, lo, hi, NULL }
#define OBJ(name, schema) { name, sizeof(name) - 1, COC_K_OBJECT, 0, 0, NULL, 0, 0, &schema }
#define ARR(name, schema) { name, sizeof(name) - 1, COC_K_ARRAY, 0, 0, NULL, 0, 0, &schema }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Table 3 */
static const char *const phases[] = {
  "phase_change_end", "phase_change_cancel", "phase_change_draft",
  "phase_change_implement", "phase_change_apply", "phase_change_approve",
  "phase_change_close", NULL
};
static const coc_field ticket_info_fields[] = {
  STR("phase", 0, 255, phases),
  STR("work_flow_status", 0, 255, NULL),
};
static const coc_schema ticket_info = { ticket_info_fields, COUNT(ticket_info_fields) };

/* Table 4 */
#define MAX_MILLIS 9999999999999LL
static const coc_field sub_ticket_fields[] = {
  STR("ticket_id", 0, 100, NULL),
  STR("change_result", 1, 100, NULL),
  BOOL("is_verified_in_change_time"),
  STR("verified_docs", 0, 1000, NULL),
  STR("comment", 0, 100, NULL),
  STR("change_fail_type", 1, 100, NULL),
  INT("rollback_start_time", 1, MAX_MILLIS),
  INT("rollback_end_time", 1, MAX_MILLIS),
  BOOL("is_rollback_success"),
  BOOL("is_monitor_found"),
};
static const coc_schema sub_ticket = { sub_ticket_fields, COUNT(sub_ticket_fields) };

/* Table 5 */
static const char *const actions[] = {
  "change_start_change_success", "change_end_change_success",
  "change_set_change_result_success", "change_complete_success", NULL
};
static const coc_field history_info_fields[] = {
  STR("action", 1, 1000, actions),
};
static const coc_schema history_info = { history_info_fields, COUNT(history_info_fields) };

/* Table 2 */
static const coc_field body_fields[] = {
  OBJ("ticket_info", ticket_info),
  ARR("sub_tickets", sub_ticket),
  OBJ("history_info", history_info),
};
static const coc_schema body = { body_fields, COUNT(body_fields) };

/* Table 1 */
const coc_field coc_change_id_field = STR("change_id", 1, 50, NULL);
const coc_field coc_body_field = OBJ("body", body);

const coc_place coc_places[] = {
  { &body, "at the top level of the body" },
  { &ticket_info, "in ticket_info" },
  { &sub_ticket, "in the items of sub_tickets" },
  { &history_info, "in history_info" },
  { NULL, NULL }
};

long coc_field_max_chars(const char *name) {
  const coc_place *p;
  size_t i;
  if (!strcmp(name, coc_change_id_field.name)) return coc_change_id_field.max_chars;
  for (p = coc_places; p->schema; p++)
    for (i = 0; i < p->schema->count; i++)
      if (p->schema->fields[i].kind == COC_K_STRING && !strcmp(p->schema->fields[i].name, name))
        return p->schema->fields[i].max_chars;
  return -1;
}

const char *coc_kind_name(coc_kind k) {
  switch (k) {
  case COC_K_STRING: return "string";
  case COC_K_BOOL: return "boolean";
  case COC_K_INT: return "integer";
  case COC_K_OBJECT: return "object";
  case COC_K_ARRAY: return "array";
  }
  return "?";
}

const char *coc_type_name(coc_type t) {
  switch (t) {
  case COC_NULL: return "null";
  case COC_BOOL: return "boolean";
  case COC_INT: return "integer";
  case COC_DOUBLE: return "number";
  case COC_STRING: return "string";
  case COC_ARRAY: return "array";
  case COC_OBJECT: return "object";
  case COC_EMPTY: return "empty table";
  case COC_INVALID: return "invalid value";
  }
  return "?";
}

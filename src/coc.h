/*
 * lua-coc core: the update-change model, its validator and JSON serializer.
 *
 * This header is the whole public C API of the core. It knows nothing about
 * Lua: a binding (the Lua one in lcoc.c, or a future LuaJIT FFI one) builds a
 * document tree with the coc_node_* calls, validates it against the reference
 * tables, and encodes it.
 *
 * Memory: a coc_doc owns every node; strings set with coc_node_set_string_ref
 * are borrowed and must outlive the calls that read them. Nothing here
 * allocates after the first few calls of a reused doc/report/buffer.
 */
#ifndef COC_H
#define COC_H

#include <stddef.h>

#define COC_VERSION "0.1.0"

typedef enum coc_status {
  COC_OK = 0,
  COC_EINVALID, /* validation found problems: see the report */
  COC_ENOMEM,   /* an allocation failed */
  COC_ELIMIT,   /* a document limit (nodes, depth, size) was reached */
  COC_ECONFIG,  /* a client option is wrong: see the coc_error */
  COC_ESEND,    /* the request could not be sent or answered: see the coc_error */
  COC_ECANCELED /* a batch was stopped by its callback */
} coc_status;

/* ---- growable byte buffer -------------------------------------------- */

typedef struct coc_buf {
  char *ptr;   /* NUL-terminated when len > 0 or after coc_buf_cstr */
  size_t len;
  size_t cap;
  int oom;     /* sticky: an append failed; contents are then incomplete */
} coc_buf;

void coc_buf_init(coc_buf *b);
void coc_buf_free(coc_buf *b);
void coc_buf_reset(coc_buf *b); /* keeps the memory */
int coc_buf_add(coc_buf *b, const void *p, size_t n);
int coc_buf_addc(coc_buf *b, char c);
int coc_buf_adds(coc_buf *b, const char *s);
const char *coc_buf_cstr(coc_buf *b); /* "" on OOM */

/* ---- document tree ---------------------------------------------------- */

typedef enum coc_type {
  COC_NULL,    /* explicit JSON null */
  COC_BOOL,
  COC_INT,
  COC_DOUBLE,  /* a number that is not an integer */
  COC_STRING,
  COC_ARRAY,
  COC_OBJECT,
  COC_EMPTY,   /* empty container of unknown kind (an empty Lua table) */
  COC_INVALID  /* a value with no JSON form; carries rule and message */
} coc_type;

typedef struct coc_doc coc_doc;
typedef struct coc_node coc_node;

/* Limits that keep hostile input bounded. */
#define COC_MAX_DEPTH 32          /* nesting of containers */
#define COC_MAX_NODES 200000      /* values in one document */
#define COC_MAX_BODY (8u << 20)   /* bytes of encoded JSON */

coc_doc *coc_doc_new(void);
void coc_doc_free(coc_doc *d);
/* Forget the tree but keep the memory for the next request. */
void coc_doc_clear(coc_doc *d);
/* The request's two inputs: the change_id path parameter and the body. */
coc_node *coc_doc_change_id(coc_doc *d);
coc_node *coc_doc_body(coc_doc *d);

void coc_node_set_null(coc_node *n);
void coc_node_set_bool(coc_node *n, int b);
void coc_node_set_int(coc_node *n, long long i);
void coc_node_set_double(coc_node *n, double v);
/* Borrowed: s must stay valid while the doc is validated/encoded. */
void coc_node_set_string_ref(coc_node *n, const char *s, size_t len);
/* Copied into the doc. */
coc_status coc_node_set_string(coc_doc *d, coc_node *n, const char *s, size_t len);
void coc_node_set_array(coc_node *n);
void coc_node_set_object(coc_node *n);
void coc_node_set_empty(coc_node *n);
/* rule and message must be static strings or outlive the doc's use
 * (e.g. copied with coc_doc_strdup). */
void coc_node_set_invalid(coc_node *n, const char *rule, const char *message);
const char *coc_doc_strdup(coc_doc *d, const char *s);

/* Append a child: NULL when out of memory or past COC_MAX_NODES
 * (coc_doc_status tells which). Keys are borrowed like string refs. */
coc_node *coc_array_push(coc_doc *d, coc_node *array);
coc_node *coc_object_add(coc_doc *d, coc_node *object, const char *key, size_t key_len);
coc_status coc_doc_status(const coc_doc *d);

coc_type coc_node_type(const coc_node *n);

/* ---- validation ------------------------------------------------------- */

typedef enum coc_unknown_policy {
  COC_UNKNOWN_ERROR = 0, /* fields no table defines are problems */
  COC_UNKNOWN_KEEP,      /* passed through as given (still must be JSON) */
  COC_UNKNOWN_DROP       /* left out of the encoded body */
} coc_unknown_policy;

typedef struct coc_options {
  coc_unknown_policy unknown;
} coc_options;

/* One problem: where, which rule (a stable word), and what was wrong. */
typedef struct coc_issue {
  const char *path;    /* e.g. "sub_tickets[2].comment" (1-based indexes) */
  const char *rule;    /* type, utf8, length, enum, range, unknown_field, limit */
  const char *message; /* e.g. "101 characters, at most 100 allowed" */
} coc_issue;

#define COC_MAX_ISSUES 100 /* further problems are only counted */

typedef struct coc_report coc_report;

coc_report *coc_report_new(void);
void coc_report_free(coc_report *r);
void coc_report_clear(coc_report *r);
size_t coc_report_count(const coc_report *r);
/* Problems found beyond COC_MAX_ISSUES. */
size_t coc_report_omitted(const coc_report *r);
/* Pointers stay valid until the report is cleared, freed or added to. */
int coc_report_get(const coc_report *r, size_t i, coc_issue *out);

/* Checks change_id and body against Tables 1-5 of the reference and adds
 * every problem to r. COC_OK, COC_EINVALID or COC_ENOMEM. */
coc_status coc_validate(coc_doc *d, const coc_options *opt, coc_report *r);

/* Writes the body as compact JSON. The doc must have passed coc_validate
 * with the same options. Appends to out. */
coc_status coc_encode(const coc_doc *d, const coc_options *opt, coc_buf *out);

/* The most characters the reference allows in a string field (by its name,
 * which is unique across Tables 1-5), or -1 for no such string field. */
long coc_field_max_chars(const char *name);

/* Counts the UTF-8 characters of s; -1 if s is not valid UTF-8 (then *bad,
 * if given, is the 0-based offset of the first bad byte). */
long coc_utf8_len(const char *s, size_t len, size_t *bad);

/* Appends s cut to at most max_chars characters, never inside one; each
 * byte that is not valid UTF-8 becomes '?', so the result always passes the
 * validator's utf8 rule. 0, or -1 when memory ran out. */
int coc_utf8_cut(const char *s, size_t len, size_t max_chars, coc_buf *out);

/* ---- URIs --------------------------------------------------------------- */

/* Percent-encodes all but the unreserved A-Z a-z 0-9 - _ . ~ (appends). */
int coc_uri_escape(coc_buf *out, const char *s, size_t len);
/* Each segment of path decoded then escaped, so it is sent and signed the
 * same way whatever the caller gave. Appends. */
coc_status coc_uri_canonical_path(coc_buf *out, const char *path, size_t len);
/* Parameters decoded, escaped and sorted by name then value. Appends. */
coc_status coc_uri_canonical_query(coc_buf *out, const char *query, size_t len);

/* ---- SDK-HMAC-SHA256 signing ------------------------------------------- */

typedef struct coc_header {
  const char *name;
  const char *value;
} coc_header;

#define COC_SIGN_ALGORITHM "SDK-HMAC-SHA256"
#define COC_MAX_SIGNED_HEADERS 16

/* The X-Sdk-Date for a Unix time: YYYYMMDDTHHMMSSZ (UTC) into out[17]. */
void coc_sdk_date(long long unix_time, char out[17]);

/* Signs one request. path must already be canonical (coc_uri_canonical_path)
 * and query canonical too; headers are the ones to sign, any case, values
 * as sent. Writes the canonical request (reset first) and the names of the
 * signed headers (reset first), and the lowercase hex signature into
 * signature[65]. The SK is used only as the HMAC key. */
coc_status coc_sign(const char *method, const char *path, const char *query,
                    const coc_header *headers, size_t nheaders,
                    const char *body, size_t body_len, const char *sdk_date,
                    const char *sk, size_t sk_len,
                    coc_buf *canonical, coc_buf *signed_names, char signature[65]);

/* Lowercase hex SHA-256 of data into out[65]. */
int coc_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- the client: endpoint, credentials, libcurl transport -------------- */

typedef struct coc_config {
  const char *endpoint;       /* "https://host[:port]" */
  const char *ak, *sk;        /* AK/SK signing ... */
  const char *security_token; /* ... with temporary credentials */
  const char *auth_token;     /* or an IAM token (X-Auth-Token), unsigned */
  const char *domain_id;      /* X-Domain-Id: COC is a global service */
  const char *project_id;     /* X-Project-Id */
  const char *user_agent;     /* NULL: "lua-coc/<version>" */
  const char *ca_file;        /* PEM bundle; NULL: the system's */
  const char *proxy;          /* NULL: libcurl's default (environment) */
  int ssl_verify;             /* on unless turned off explicitly */
  long connect_timeout_ms;    /* default 60000 */
  long timeout_ms;            /* one attempt, default 120000 */
  long deadline_ms;           /* the whole call with retries, default 300000 */
  size_t max_response;        /* bytes of response body, default 1 MiB */
  int max_retries;            /* 0 (default): no retries */
  long retry_base_ms;         /* first backoff, default 100 */
  long retry_max_ms;          /* backoff cap, default 60000 */
} coc_config;

#define COC_MAX_TIMEOUT_MS 3600000L /* nothing waits longer than an hour */
#define COC_MAX_RETRIES 10

/* The answers worth another attempt: 429, 502, 503 and 504. */
int coc_retryable_status(long status);

void coc_config_defaults(coc_config *cfg);

typedef enum coc_error_kind {
  COC_ERR_NONE,
  COC_ERR_CONFIG,  /* an option is wrong */
  COC_ERR_NETWORK, /* could not connect, connection lost, response too large */
  COC_ERR_TIMEOUT, /* an attempt or the deadline ran out */
  COC_ERR_TLS,     /* handshake or certificate verification failed */
  COC_ERR_MEMORY
} coc_error_kind;

typedef struct coc_error {
  coc_error_kind kind;
  const char *code;   /* stable: "COC.CONNECT", "COC.TIMEOUT", ... */
  char message[512];  /* never holds a secret */
  int attempts;
} coc_error;

typedef struct coc_client coc_client;

/* What would go on the wire; every pointer is owned by the client and valid
 * until its next prepare or send. */
typedef struct coc_prepared {
  const char *method;
  const char *url;
  const char *body;
  size_t body_len;
  coc_header headers[COC_MAX_SIGNED_HEADERS];
  size_t nheaders;
  const char *canonical_request; /* NULL with token authentication */
} coc_prepared;

typedef struct coc_response {
  long status;
  const char *body; /* owned by the client, valid until its next send */
  size_t body_len;
  const char *request_id;   /* "" when the server sent none */
  const char *content_type; /* "" when none */
  int attempts;
  long new_connections;     /* connections opened for this call */
} coc_response;

/* NULL with err filled when the configuration is wrong or memory is short.
 * Secrets are copied and wiped when the client is freed. */
coc_client *coc_client_new(const coc_config *cfg, coc_error *err);
void coc_client_free(coc_client *c);
/* The SK, security token and IAM token (NULL where unset), for redaction. */
void coc_client_secrets(const coc_client *c, const char *out[3]);

/* Signs method + path (+ query, may be NULL) + body at Unix time now. */
coc_status coc_client_prepare(coc_client *c, const char *method, const char *path,
                              const char *query, const char *body, size_t body_len,
                              long long now, coc_prepared *out, coc_error *err);

/* Sends it, signed afresh for every attempt, retrying as configured.
 * COC_OK with any HTTP status; COC_ESEND when no usable answer came. */
coc_status coc_client_send(coc_client *c, const char *method, const char *path,
                           const char *query, const char *body, size_t body_len,
                           coc_response *out, coc_error *err);

/* ---- many requests at once (libcurl's multi interface) ---------------- */

typedef struct coc_batch_item {
  const char *method;
  const char *path;
  const char *query; /* may be NULL */
  const char *body;  /* must stay valid until the batch returns */
  size_t body_len;
} coc_batch_item;

/* Called once per item as it finishes, in completion order. st is COC_OK
 * (res holds the answer, valid only during the call) or COC_ESEND (err).
 * A non-zero return cancels the items not yet finished. */
typedef int (*coc_batch_done)(void *ud, size_t index, coc_status st,
                              const coc_response *res, const coc_error *err);

/* Sends n items with up to concurrency in flight, each retried and timed
 * as a single send would be. Connections are kept for the next batch.
 * COC_OK once every item was reported; COC_ECANCELED; COC_ENOMEM. */
coc_status coc_client_send_batch(coc_client *c, const coc_batch_item *items, size_t n,
                                 int concurrency, coc_batch_done done, void *ud);

#define COC_MAX_CONCURRENCY 256

#endif

/* Links the core alone, without Lua, and exercises it through the public
 * header: the seam an FFI binding would use. */
#include <stdio.h>
#include <string.h>

#include "coc.h"

static int passed, failed;

#define CHECK(cond, what)                                                     \
  do {                                                                        \
    if (cond) passed++;                                                       \
    else {                                                                    \
      failed++;                                                               \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what);          \
    }                                                                         \
  } while (0)

static coc_doc *doc;
static coc_report *rep;
static coc_buf out;

static coc_node *add_str(coc_node *obj, const char *key, const char *val) {
  coc_node *n = coc_object_add(doc, obj, key, strlen(key));
  coc_node_set_string_ref(n, val, strlen(val));
  return n;
}

static coc_node *add_obj(coc_node *obj, const char *key) {
  coc_node *n = coc_object_add(doc, obj, key, strlen(key));
  coc_node_set_object(n);
  return n;
}

static void start(const char *change_id) {
  coc_doc_clear(doc);
  coc_report_clear(rep);
  coc_buf_reset(&out);
  coc_node_set_string_ref(coc_doc_change_id(doc), change_id, strlen(change_id));
  coc_node_set_object(coc_doc_body(doc));
}

static int has_issue(const char *path, const char *rule, const char *message) {
  size_t i;
  coc_issue is;
  for (i = 0; i < coc_report_count(rep); i++) {
    if (coc_report_get(rep, i, &is)) return 0;
    if (!strcmp(is.path, path) && !strcmp(is.rule, rule) && !strcmp(is.message, message)) return 1;
  }
  for (i = 0; i < coc_report_count(rep); i++) {
    coc_report_get(rep, i, &is);
    fprintf(stderr, "  have: %s [%s] %s\n", is.path, is.rule, is.message);
  }
  return 0;
}

static void test_close_example(void) {
  coc_node *body, *hist, *info;
  start("C202612040001");
  body = coc_doc_body(doc);
  hist = add_obj(body, "history_info");
  add_str(hist, "action", "change_complete_success");
  info = add_obj(body, "ticket_info");
  add_str(info, "phase", "phase_change_end");
  add_str(info, "work_flow_status", "COMPLETE");
  CHECK(coc_validate(doc, NULL, rep) == COC_OK, "close example validates");
  CHECK(coc_encode(doc, NULL, &out) == COC_OK, "close example encodes");
  CHECK(!strcmp(coc_buf_cstr(&out),
                "{\"ticket_info\":{\"phase\":\"phase_change_end\",\"work_flow_status\":\"COMPLETE\"},"
                "\"history_info\":{\"action\":\"change_complete_success\"}}"),
        "fields in table order");
}

static void test_every_problem_reported(void) {
  coc_node *body, *subs, *st, *n;
  char long_comment[102];
  memset(long_comment, 'x', 101);
  long_comment[101] = '\0';
  start("");
  body = coc_doc_body(doc);
  subs = coc_object_add(doc, body, "sub_tickets", 11);
  coc_node_set_array(subs);
  st = coc_array_push(doc, subs);
  coc_node_set_object(st);
  st = coc_array_push(doc, subs);
  coc_node_set_object(st);
  add_str(st, "comment", long_comment);
  n = coc_object_add(doc, st, "rollback_start_time", 19);
  coc_node_set_int(n, 0);
  n = coc_object_add(doc, st, "is_monitor_found", 16);
  coc_node_set_string_ref(n, "yes", 3);
  add_str(st, "verified_docs1", "x");
  CHECK(coc_validate(doc, NULL, rep) == COC_EINVALID, "invalid");
  CHECK(coc_report_count(rep) == 5, "five problems");
  CHECK(has_issue("change_id", "length", "0 characters, at least 1 required"), "change_id");
  CHECK(has_issue("sub_tickets[2].comment", "length", "101 characters, at most 100 allowed"), "comment");
  CHECK(has_issue("sub_tickets[2].rollback_start_time", "range", "0 is out of range 1..9999999999999"), "range");
  CHECK(has_issue("sub_tickets[2].is_monitor_found", "type", "expected boolean, got string"), "bool");
  CHECK(has_issue("sub_tickets[2].verified_docs1", "unknown_field", "unknown field (did you mean verified_docs?)"), "unknown");
}

static void test_unknown_policies(void) {
  coc_options keep = { COC_UNKNOWN_KEEP }, drop = { COC_UNKNOWN_DROP };
  coc_node *hist;
  start("C1");
  hist = add_obj(coc_doc_body(doc), "history_info");
  add_str(hist, "action", "change_start_change_success");
  add_str(hist, "zeta", "z");
  add_str(hist, "alpha", "a");
  CHECK(coc_validate(doc, &keep, rep) == COC_OK, "keep validates");
  CHECK(coc_encode(doc, &keep, &out) == COC_OK, "keep encodes");
  CHECK(!strcmp(coc_buf_cstr(&out), "{\"history_info\":{\"action\":\"change_start_change_success\",\"alpha\":\"a\",\"zeta\":\"z\"}}"),
        "kept unknown fields follow, sorted");
  coc_buf_reset(&out);
  coc_report_clear(rep);
  CHECK(coc_validate(doc, &drop, rep) == COC_OK, "drop validates");
  CHECK(coc_encode(doc, &drop, &out) == COC_OK, "drop encodes");
  CHECK(!strcmp(coc_buf_cstr(&out), "{\"history_info\":{\"action\":\"change_start_change_success\"}}"), "dropped");
}

static void test_utf8_and_escapes(void) {
  coc_node *st, *subs;
  /* 100 two-byte characters is exactly the limit; one more is not. */
  char at_limit[201], bad[] = "ok\xC0\xAF";
  size_t i;
  for (i = 0; i < 200; i += 2) memcpy(at_limit + i, "\xC3\xA9", 2);
  at_limit[200] = '\0';
  CHECK(coc_utf8_len(at_limit, 200, NULL) == 100, "counts characters");
  CHECK(coc_utf8_len("\xF0\x9F\x98\x80", 4, NULL) == 1, "4-byte character");
  CHECK(coc_utf8_len("\xED\xA0\x80", 3, NULL) == -1, "surrogate refused");
  CHECK(coc_utf8_len("\xF4\x90\x80\x80", 4, NULL) == -1, "above U+10FFFF refused");
  CHECK(coc_utf8_len("\xE2\x82", 2, NULL) == -1, "truncated refused");
  {
    coc_buf b;
    coc_buf_init(&b);
    CHECK(coc_utf8_cut("a\xE2\x82\xAC" "b\xFF" "c", 7, 4, &b) == 0 && !strcmp(coc_buf_cstr(&b), "a\xE2\x82\xAC" "b?"),
          "cut: whole characters, a bad byte as ?");
    coc_buf_reset(&b);
    CHECK(coc_utf8_cut("\xF0\x9F\x98", 3, 10, &b) == 0 && !strcmp(coc_buf_cstr(&b), "???"),
          "cut: a truncated character is three bad bytes");
    coc_buf_free(&b);
  }
  start("C1");
  subs = coc_object_add(doc, coc_doc_body(doc), "sub_tickets", 11);
  coc_node_set_array(subs);
  st = coc_array_push(doc, subs);
  coc_node_set_object(st);
  add_str(st, "comment", at_limit);
  add_str(st, "ticket_id", "a\"b\\c\n\x01");
  CHECK(coc_validate(doc, NULL, rep) == COC_OK, "100 characters of two bytes pass");
  CHECK(coc_encode(doc, NULL, &out) == COC_OK, "encodes");
  CHECK(strstr(coc_buf_cstr(&out), "\"ticket_id\":\"a\\\"b\\\\c\\n\\u0001\"") != NULL, "escapes");
  start("C1");
  add_str(add_obj(coc_doc_body(doc), "ticket_info"), "work_flow_status", bad);
  CHECK(coc_validate(doc, NULL, rep) == COC_EINVALID, "invalid UTF-8");
  CHECK(has_issue("ticket_info.work_flow_status", "utf8", "text is not valid UTF-8 (bad byte 0xc0 at offset 2)"), "utf8 issue");
}

static void test_empty_and_null(void) {
  coc_node *n;
  start("C1");
  n = coc_object_add(doc, coc_doc_body(doc), "sub_tickets", 11);
  coc_node_set_empty(n);
  n = coc_object_add(doc, coc_doc_body(doc), "ticket_info", 11);
  coc_node_set_empty(n);
  n = coc_object_add(doc, coc_doc_body(doc), "history_info", 12);
  coc_node_set_null(n);
  CHECK(coc_validate(doc, NULL, rep) == COC_OK, "empty and null valid");
  CHECK(coc_encode(doc, NULL, &out) == COC_OK, "encodes");
  CHECK(!strcmp(coc_buf_cstr(&out), "{\"ticket_info\":{},\"sub_tickets\":[],\"history_info\":null}"), "empty array stays array");
}

static void test_limits(void) {
  coc_node *n;
  int i;
  coc_options keep = { COC_UNKNOWN_KEEP };
  start("C1");
  n = coc_object_add(doc, coc_doc_body(doc), "deep", 4);
  for (i = 0; i < 1000; i++) {
    coc_node_set_array(n);
    n = coc_array_push(doc, n);
  }
  CHECK(coc_validate(doc, &keep, rep) == COC_EINVALID, "too deep");
  CHECK(coc_report_count(rep) == 1, "one problem");
  start("C1");
  n = coc_object_add(doc, coc_doc_body(doc), "many", 4);
  coc_node_set_array(n);
  for (i = 0; i < COC_MAX_NODES + 5; i++)
    if (!coc_array_push(doc, n)) break;
  CHECK(coc_doc_status(doc) == COC_ELIMIT, "node limit");
  CHECK(coc_validate(doc, &keep, rep) == COC_EINVALID, "limit reported");
  CHECK(has_issue("body", "limit", "more than 200000 values"), "limit issue");
  start("C1");
  n = add_obj(coc_doc_body(doc), "ticket_info");
  add_str(n, "phase", "phase_change_end");
  add_str(n, "phase", "phase_change_draft");
  CHECK(coc_validate(doc, NULL, rep) == COC_EINVALID, "duplicate");
  CHECK(has_issue("ticket_info.phase", "duplicate", "field given more than once"), "duplicate issue");
}

/* The two known answers of the Go SDK's signer tests (facts.md). */
static void test_sign_known_answers(void) {
  coc_header date = { "X-Sdk-Date", "20060102T150405Z" };
  coc_buf canonical, names, path, query;
  char sig[65];
  const char *body = "{\"Name\":\"test\",\"Id\":1}\n";
  coc_buf_init(&canonical);
  coc_buf_init(&names);
  coc_buf_init(&path);
  coc_buf_init(&query);
  coc_uri_canonical_path(&path, "/path", 5);
  coc_uri_canonical_query(&query, "limit=1", 7);
  CHECK(coc_sign("GET", coc_buf_cstr(&path), coc_buf_cstr(&query), &date, 1, "", 0, date.value,
                 "SecretKey", 9, &canonical, &names, sig) == COC_OK, "GET signs");
  CHECK(!strcmp(coc_buf_cstr(&canonical),
                "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "GET canonical request");
  CHECK(!strcmp(sig, "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"), "GET signature");
  coc_buf_reset(&query);
  coc_uri_canonical_query(&query, "key=value", 9);
  CHECK(coc_sign("POST", coc_buf_cstr(&path), coc_buf_cstr(&query), &date, 1, body, strlen(body), date.value,
                 "SecretKey", 9, &canonical, &names, sig) == COC_OK, "POST signs");
  CHECK(!strcmp(sig, "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"), "POST signature");
  coc_buf_reset(&path);
  coc_buf_adds(&path, "/v2/changes/");
  coc_uri_escape(&path, "../a/b?c#d%2F é", 16);
  CHECK(!strcmp(coc_buf_cstr(&path), "/v2/changes/..%2Fa%2Fb%3Fc%23d%252F%20%C3%A9"), "one escaped segment");
  coc_buf_reset(&query);
  coc_uri_canonical_query(&query, "b=2&a=z&a=1&c", 13);
  CHECK(!strcmp(coc_buf_cstr(&query), "a=1&a=z&b=2&c="), "query sorted");
  {
    char d[17];
    coc_sdk_date(1764844200LL, d);
    CHECK(!strcmp(d, "20251204T103000Z"), "sdk date");
  }
  coc_buf_free(&canonical);
  coc_buf_free(&names);
  coc_buf_free(&path);
  coc_buf_free(&query);
}

/* Found by fuzz/fuzz_sign.c: with no headers to sign, the empty list of
 * names (a buffer never written, its pointer NULL) went to memcpy, which
 * UBSan reports (`make asan` runs this test). The expected signature was
 * computed with the openssl CLI. */
static void test_sign_without_headers(void) {
  coc_buf canonical, names;
  char sig[65];
  coc_buf_init(&canonical);
  coc_buf_init(&names);
  CHECK(coc_sign("GET", "/", "", NULL, 0, NULL, 0, "20060102T150405Z", "SecretKey", 9, &canonical, &names,
                 sig) == COC_OK, "signs with no header");
  CHECK(!strcmp(coc_buf_cstr(&canonical),
                "GET\n/\n\n\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        "canonical request with no header");
  CHECK(!strcmp(sig, "38a652dc20775cfb3ce4e33df65109380ade34471dcef01499f0ff6a24b632ea"), "signature with no header");
  coc_buf_free(&canonical);
  coc_buf_free(&names);
}

int main(void) {
  doc = coc_doc_new();
  rep = coc_report_new();
  coc_buf_init(&out);
  test_close_example();
  test_every_problem_reported();
  test_unknown_policies();
  test_utf8_and_escapes();
  test_empty_and_null();
  test_limits();
  test_sign_known_answers();
  test_sign_without_headers();
  coc_doc_free(doc);
  coc_report_free(rep);
  coc_buf_free(&out);
  printf("core_test: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}

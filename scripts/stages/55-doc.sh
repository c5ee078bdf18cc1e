# Sourced by scripts/test. The API reference: `make doc` runs LDoc over the
# source comments (config.ld) into doc/api/. Anything LDoc prints besides its
# two progress lines is a warning or an error, and fails the stage.
step "API reference (make doc, LDoc)"
doc_log=$(mktemp)
if make -s doc LDOC="ldoc --fatalwarnings" >"$doc_log" 2>&1 &&
   ! grep -v -e '^reading configuration from config\.ld$' -e '^output written to ' "$doc_log" | grep -q . &&
   [ -s doc/api/index.html ] && [ -s doc/api/modules/coc.workflow.html ]; then
  echo "doc/api written, no LDoc warnings"
  passed=$((passed + 1))
else
  cat "$doc_log"
  echo "lua-coc: LDoc warned or failed (see above)" >&2
  failed=$((failed + 1))
fi
rm -f "$doc_log"

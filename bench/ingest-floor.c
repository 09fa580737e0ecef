/*
 * The ingest floor with no JavaScript at all: the message rows of a generated
 * store replayed through the store's own insert and full-text statements by
 * SQLite's C API, linked against the very SQLite library better-sqlite3 built
 * (same version, same compile options). bench/ingest-floor.ts prepares the target
 * store (schema, accounts, chats, and the full-text index's empty file beside it,
 * which the setup SQL attaches), compiles this file and runs it; beside the
 * better-sqlite3 floor it shows what the JavaScript binding costs, and that the
 * generate target is a matter of SQLite's own work on this machine.
 *
 * Usage: ingest-floor-c <source .db> <target .db> <setup SQL> <insert SQL> <index SQL> <columns> <batch>
 * The setup SQL runs after the pragmas, before anything is prepared.
 * Prints one JSON line: messages, and the milliseconds spent in inserts, the index statement and commits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "sqlite3.h"

static sqlite3 *target;

static void fail(sqlite3 *db, const char *what) {
  fprintf(stderr, "ingest-floor-c: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* The index statement calls fold() for text that is not all ASCII. This one only
   lowercases ASCII, less work than the store's (which also strips accents), so this
   floor errs on the fast side. */
static void fold(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_null(ctx);
    return;
  }
  const unsigned char *in = sqlite3_value_text(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  char *out = sqlite3_malloc(n + 1);
  if (!out) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for (int i = 0; i < n; i++) out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i];
  out[n] = 0;
  sqlite3_result_text(ctx, out, n, sqlite3_free);
}

static void exec(const char *sql) {
  if (sqlite3_exec(target, sql, 0, 0, 0) != SQLITE_OK) fail(target, sql);
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s <source .db> <target .db> <setup SQL> <insert SQL> <index SQL> <columns> <batch>\n", argv[0]);
    return 2;
  }
  const char *setup = argv[3], *insertSQL = argv[4], *indexSQL = argv[5], *insertColumns = argv[6];
  int batch = atoi(argv[7]);
  sqlite3 *source;
  if (sqlite3_open_v2(argv[1], &source, SQLITE_OPEN_READONLY, 0) != SQLITE_OK) fail(source, argv[1]);
  if (sqlite3_open(argv[2], &target) != SQLITE_OK) fail(target, argv[2]);
  if (sqlite3_create_function(target, "fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, fold, 0, 0) != SQLITE_OK) fail(target, "fold");
  /* The pragmas of openDatabase (src/store/sqlite/db.ts), with synchronous=OFF as in a bulk load. */
  exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;"
       "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 268435456;");
  exec(setup);

  /* Rows are read a batch at a time (untimed): the row ID first, then the insert's columns. */
  char sql[4096];
  snprintf(sql, sizeof sql, "SELECT row_id, %s FROM messages WHERE row_id > ? ORDER BY row_id LIMIT ?", insertColumns);
  sqlite3_stmt *read, *insert, *index;
  if (sqlite3_prepare_v2(source, sql, -1, &read, 0) != SQLITE_OK) fail(source, sql);
  if (sqlite3_prepare_v2(target, insertSQL, -1, &insert, 0) != SQLITE_OK) fail(target, insertSQL);
  if (sqlite3_prepare_v2(target, indexSQL, -1, &index, 0) != SQLITE_OK) fail(target, indexSQL);
  int columns = sqlite3_column_count(read) - 1;
  sqlite3_value **rows = malloc(sizeof(sqlite3_value *) * (size_t)batch * columns);
  if (!rows) return 1;

  double insertTime = 0, indexTime = 0, commitTime = 0;
  long messages = 0;
  sqlite3_int64 after = 0;
  for (;;) {
    int n = 0;
    sqlite3_bind_int64(read, 1, after);
    sqlite3_bind_int(read, 2, batch);
    int rc;
    while ((rc = sqlite3_step(read)) == SQLITE_ROW) {
      after = sqlite3_column_int64(read, 0);
      for (int c = 0; c < columns; c++) rows[(size_t)n * columns + c] = sqlite3_value_dup(sqlite3_column_value(read, c + 1));
      n++;
    }
    if (rc != SQLITE_DONE) fail(source, "read");
    sqlite3_reset(read);
    if (n == 0) break;

    double t = seconds();
    exec("BEGIN");
    sqlite3_int64 first = 0, last = 0;
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < columns; c++) sqlite3_bind_value(insert, c + 1, rows[(size_t)r * columns + c]);
      if (sqlite3_step(insert) != SQLITE_DONE) fail(target, "insert");
      sqlite3_reset(insert);
      last = sqlite3_last_insert_rowid(target);
      if (!first) first = last;
    }
    insertTime += seconds() - t;
    t = seconds();
    sqlite3_bind_int64(index, 1, first);
    sqlite3_bind_int64(index, 2, last);
    if (sqlite3_step(index) != SQLITE_DONE) fail(target, "index");
    sqlite3_reset(index);
    indexTime += seconds() - t;
    t = seconds();
    exec("COMMIT");
    commitTime += seconds() - t;

    for (size_t i = 0; i < (size_t)n * columns; i++) sqlite3_value_free(rows[i]);
    messages += n;
  }
  printf("{\"messages\":%ld,\"insert\":%.3f,\"index\":%.3f,\"commit\":%.3f}\n", messages, insertTime * 1e3, indexTime * 1e3, commitTime * 1e3);
  sqlite3_finalize(read);
  sqlite3_finalize(insert);
  sqlite3_finalize(index);
  sqlite3_close(source);
  sqlite3_close(target);
  free(rows);
  return 0;
}

/* sandbox-store.c: the SQLite state of the sandbox
 *
 * Records live in one table keyed by (tenant << 40 | seq), seq being the
 * position in the tenant's change feed: a page is one rowid range scan and
 * seeding appends at the end of the table, SQLite's fastest insert. A record that changes
 * gets a new seq at the end of the feed; its old seq is remembered in
 * `vacated`, which makes the count of records after a cursor a subtraction
 * instead of a scan.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sandbox-store.h"
#include "sandbox-json.h"

#include <sqlite3.h>
#include <string.h>

GQuark sandbox_store_error_quark (void);

G_DEFINE_QUARK (sandbox-store-error-quark, sandbox_store_error)

#define SEQ_BITS 40
#define KEY_BASE(t) ((t)->id << SEQ_BITS)
#define KEY_END(t) (((t)->id + 1) << SEQ_BITS)

/* The small enumerations of a record share one column: fewer columns make
 * seeding a million records noticeably faster. */
#define FLAGS(r) ((r)->initiated | (r)->role << 1 | (r)->channel << 4 | (r)->status << 8)
#define STATUS_FLAG 256

#define RECORD_COLUMNS \
  "rid, t, flags, user_name, email, first_name, last_name, agent, conversations"

struct _SandboxStore
{
  sqlite3      *db;
  GPtrArray    *tenants;
  GHashTable   *by_external_id;  /* borrowed SandboxTenant*: thousands are generated */
  sqlite3_stmt *insert_record;
  sqlite3_stmt *page;
  sqlite3_stmt *count_vacated;
  sqlite3_stmt *get_record;
};

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS tenants ("
  "  id INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
  "  license INTEGER NOT NULL, start INTEGER NOT NULL, end_ INTEGER NOT NULL,"
  "  session_minutes INTEGER NOT NULL, total INTEGER NOT NULL, consumed INTEGER NOT NULL,"
  "  version INTEGER NOT NULL, technical TEXT NOT NULL, billing TEXT NOT NULL,"
  "  api_key TEXT NOT NULL, key_active INTEGER NOT NULL, key_permission INTEGER NOT NULL,"
  "  seed INTEGER NOT NULL, last_seq INTEGER NOT NULL, next_number INTEGER NOT NULL,"
  "  next_purchase INTEGER NOT NULL, last_time INTEGER NOT NULL, feed_id INTEGER NOT NULL,"
  "  domain TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS records ("
  "  key INTEGER PRIMARY KEY, rid TEXT NOT NULL, t INTEGER NOT NULL, flags INTEGER NOT NULL,"
  "  user_name TEXT NOT NULL, email TEXT NOT NULL, first_name TEXT, last_name TEXT, agent TEXT,"
  "  conversations INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS vacated ("
  "  tenant INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tenant, seq)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS purchases ("
  "  tenant INTEGER NOT NULL, number INTEGER NOT NULL, performed INTEGER NOT NULL,"
  "  kind INTEGER NOT NULL, change INTEGER NOT NULL, total_after INTEGER NOT NULL,"
  "  performed_by TEXT NOT NULL, reason TEXT NOT NULL, reference TEXT,"
  "  PRIMARY KEY (tenant, number));"
  "CREATE TABLE IF NOT EXISTS idempotency ("
  "  key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, created INTEGER NOT NULL,"
  "  status INTEGER NOT NULL, body TEXT NOT NULL);";

static gboolean
set_error (SandboxStore  *store,
           GError       **error)
{
  g_set_error (error, sandbox_store_error_quark (), sqlite3_errcode (store->db),
               "SQLite: %s", sqlite3_errmsg (store->db));
  return FALSE;
}

static gboolean
exec (SandboxStore  *store,
      const char    *sql,
      GError       **error)
{
  if (sqlite3_exec (store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return set_error (store, error);
  return TRUE;
}

static sqlite3_stmt *
prepare (SandboxStore  *store,
         const char    *sql,
         GError       **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_error (store, error);
      return NULL;
    }
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

static void
tenant_free (SandboxTenant *tenant)
{
  g_free (tenant->external_id);
  g_free (tenant->name);
  g_strfreev (tenant->technical);
  g_strfreev (tenant->billing);
  g_free (tenant->api_key);
  g_free (tenant->domain);
  g_free (tenant);
}

void
sandbox_tenant_spec_free (SandboxTenantSpec *spec)
{
  g_free (spec->external_id);
  g_free (spec->name);
  g_free (spec->api_key);
  g_free (spec);
}

static gboolean
is_refill (int kind)
{
  return kind == SANDBOX_KIND_REFILL || kind == SANDBOX_KIND_REMOVAL;
}

/* Keeps @t's last refill when (@performed, @number) is later than it. */
static void
note_refill (SandboxTenant *t,
             gint64         performed,
             gint64         number,
             gint64         change)
{
  if (t->last_refill_change != 0 &&
      (performed < t->last_refill_at ||
       (performed == t->last_refill_at && number < t->last_refill_number)))
    return;
  t->last_refill_at = performed;
  t->last_refill_number = number;
  t->last_refill_change = change;
}

/* Every tenant's last refill in one pass over the refills of a kept database. */
static gboolean
load_last_refills (SandboxStore  *store,
                   GError       **error)
{
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree char *sql = g_strdup_printf ("SELECT tenant, performed, number, change FROM purchases"
                                          " WHERE kind IN (%d, %d)",
                                          SANDBOX_KIND_REFILL, SANDBOX_KIND_REMOVAL);
  sqlite3_stmt *stmt;
  int rc;

  for (guint i = 0; i < store->tenants->len; i++)
    {
      SandboxTenant *t = g_ptr_array_index (store->tenants, i);

      g_hash_table_insert (by_id, &t->id, t);
    }
  stmt = prepare (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      SandboxTenant *t = g_hash_table_lookup (by_id, &id);

      if (t != NULL)
        note_refill (t, sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2),
                     sqlite3_column_int64 (stmt, 3));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  return TRUE;
}

static gboolean
load_tenants (SandboxStore  *store,
              GError       **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (store,
                  "SELECT id, external_id, name, license, start, end_, session_minutes, total,"
                  " consumed, version, technical, billing, api_key, key_active, key_permission,"
                  " seed, last_seq, next_number, next_purchase, last_time, feed_id, domain"
                  " FROM tenants ORDER BY external_id", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SandboxTenant *t = g_new0 (SandboxTenant, 1);

      t->id = sqlite3_column_int64 (stmt, 0);
      t->external_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      t->name = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      t->license = sqlite3_column_int (stmt, 3);
      t->start = sqlite3_column_int64 (stmt, 4);
      t->end = sqlite3_column_int64 (stmt, 5);
      t->session_minutes = sqlite3_column_int64 (stmt, 6);
      t->total = sqlite3_column_int64 (stmt, 7);
      t->consumed = sqlite3_column_int64 (stmt, 8);
      t->version = sqlite3_column_int64 (stmt, 9);
      t->technical = sandbox_json_strv_from_string ((const char *) sqlite3_column_text (stmt, 10));
      t->billing = sandbox_json_strv_from_string ((const char *) sqlite3_column_text (stmt, 11));
      t->api_key = g_strdup ((const char *) sqlite3_column_text (stmt, 12));
      t->key_active = sqlite3_column_int (stmt, 13);
      t->key_permission = sqlite3_column_int (stmt, 14);
      t->seed = (guint64) sqlite3_column_int64 (stmt, 15);
      t->last_seq = sqlite3_column_int64 (stmt, 16);
      t->next_number = sqlite3_column_int64 (stmt, 17);
      t->next_purchase = sqlite3_column_int64 (stmt, 18);
      t->last_time = sqlite3_column_int64 (stmt, 19);
      t->feed_id = sqlite3_column_int64 (stmt, 20);
      t->domain = g_strdup ((const char *) sqlite3_column_text (stmt, 21));
      g_ptr_array_add (store->tenants, t);
      g_hash_table_insert (store->by_external_id, t->external_id, t);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  return load_last_refills (store, error);
}

SandboxStore *
sandbox_store_open (const char  *path,
                    gboolean     temporary,
                    GError     **error)
{
  SandboxStore *store = g_new0 (SandboxStore, 1);

  store->tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) tenant_free);
  store->by_external_id = g_hash_table_new (g_str_hash, g_str_equal);
  /* One thread only: no mutexes. */
  if (sqlite3_open_v2 (path, &store->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      set_error (store, error);
      sandbox_store_free (store);
      return NULL;
    }
  sqlite3_busy_timeout (store->db, 5000);

  /* A temporary database needs no durability at all; a kept one gets WAL. */
  if (!exec (store, temporary
                    ? "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
                    : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", error) ||
      !exec (store, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;", error) ||
      !exec (store, schema, error) ||
      !load_tenants (store, error))
    {
      sandbox_store_free (store);
      return NULL;
    }
  return store;
}

void
sandbox_store_free (SandboxStore *store)
{
  if (store == NULL)
    return;
  sqlite3_finalize (store->insert_record);
  sqlite3_finalize (store->page);
  sqlite3_finalize (store->count_vacated);
  sqlite3_finalize (store->get_record);
  if (store->db != NULL)
    sqlite3_close (store->db);
  g_hash_table_unref (store->by_external_id);
  g_ptr_array_unref (store->tenants);
  g_free (store);
}

gboolean
sandbox_store_begin (SandboxStore  *store,
                     GError       **error)
{
  return exec (store, "BEGIN IMMEDIATE", error);
}

gboolean
sandbox_store_commit (SandboxStore  *store,
                      GError       **error)
{
  return exec (store, "COMMIT", error);
}

void
sandbox_store_rollback (SandboxStore *store)
{
  sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

SandboxTenant *
sandbox_store_lookup (SandboxStore *store,
                      const char   *external_id)
{
  return g_hash_table_lookup (store->by_external_id, external_id);
}

SandboxTenant *
sandbox_store_lookup_key (SandboxStore *store,
                          const char   *api_key)
{
  for (guint i = 0; i < store->tenants->len; i++)
    {
      SandboxTenant *t = g_ptr_array_index (store->tenants, i);

      if (strcmp (t->api_key, api_key) == 0)
        return t;
    }
  return NULL;
}

static int
compare_tenants (gconstpointer a,
                 gconstpointer b)
{
  const SandboxTenant *ta = *(SandboxTenant * const *) a;
  const SandboxTenant *tb = *(SandboxTenant * const *) b;

  return strcmp (ta->external_id, tb->external_id);
}

GPtrArray *
sandbox_store_list_tenants (SandboxStore *store)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; i < store->tenants->len; i++)
    g_ptr_array_add (list, g_ptr_array_index (store->tenants, i));
  g_ptr_array_sort (list, compare_tenants);
  return list;
}

gboolean
sandbox_store_save_tenant (SandboxStore   *store,
                           SandboxTenant  *t,
                           GError        **error)
{
  g_autofree char *technical = sandbox_json_strv_to_string ((const char * const *) t->technical);
  g_autofree char *billing = sandbox_json_strv_to_string ((const char * const *) t->billing);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (store,
                  "INSERT OR REPLACE INTO tenants (id, external_id, name, license, start, end_,"
                  " session_minutes, total, consumed, version, technical, billing, api_key,"
                  " key_active, key_permission, seed, last_seq, next_number, next_purchase,"
                  " last_time, feed_id, domain)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                  " ?16, ?17, ?18, ?19, ?20, ?21, ?22)", error);
  if (stmt == NULL)
    return FALSE;
  if (t->id > 0)
    sqlite3_bind_int64 (stmt, 1, t->id);
  bind_text (stmt, 2, t->external_id);
  bind_text (stmt, 3, t->name);
  sqlite3_bind_int (stmt, 4, t->license);
  sqlite3_bind_int64 (stmt, 5, t->start);
  sqlite3_bind_int64 (stmt, 6, t->end);
  sqlite3_bind_int64 (stmt, 7, t->session_minutes);
  sqlite3_bind_int64 (stmt, 8, t->total);
  sqlite3_bind_int64 (stmt, 9, t->consumed);
  sqlite3_bind_int64 (stmt, 10, t->version);
  bind_text (stmt, 11, technical);
  bind_text (stmt, 12, billing);
  bind_text (stmt, 13, t->api_key);
  sqlite3_bind_int (stmt, 14, t->key_active);
  sqlite3_bind_int (stmt, 15, t->key_permission);
  sqlite3_bind_int64 (stmt, 16, (gint64) t->seed);
  sqlite3_bind_int64 (stmt, 17, t->last_seq);
  sqlite3_bind_int64 (stmt, 18, t->next_number);
  sqlite3_bind_int64 (stmt, 19, t->next_purchase);
  sqlite3_bind_int64 (stmt, 20, t->last_time);
  sqlite3_bind_int64 (stmt, 21, t->feed_id);
  bind_text (stmt, 22, t->domain);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  if (t->id <= 0)
    t->id = sqlite3_last_insert_rowid (store->db);
  return TRUE;
}

static gboolean
ensure_insert_statement (SandboxStore  *store,
                         GError       **error)
{
  if (store->insert_record == NULL)
    store->insert_record = prepare (store,
                                    "INSERT INTO records (key, " RECORD_COLUMNS ")"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  return store->insert_record != NULL;
}

static gboolean
insert_record_at (SandboxStore        *store,
                  SandboxTenant       *tenant,
                  gint64               seq,
                  const SandboxRecord *r,
                  GError             **error)
{
  sqlite3_stmt *stmt = store->insert_record;
  int rc;

  sqlite3_bind_int64 (stmt, 1, KEY_BASE (tenant) + seq);
  bind_text (stmt, 2, r->rid);
  sqlite3_bind_int64 (stmt, 3, r->time);
  sqlite3_bind_int (stmt, 4, FLAGS (r));
  bind_text (stmt, 5, r->user_name);
  bind_text (stmt, 6, r->email != NULL ? r->email : "");
  bind_text (stmt, 7, r->first_name);
  bind_text (stmt, 8, r->last_name);
  bind_text (stmt, 9, r->agent_name);
  sqlite3_bind_int64 (stmt, 10, r->conversations);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  return TRUE;
}

gboolean
sandbox_store_insert_record (SandboxStore        *store,
                             SandboxTenant       *tenant,
                             const SandboxRecord *record,
                             GError             **error)
{
  if (!ensure_insert_statement (store, error) ||
      !insert_record_at (store, tenant, tenant->last_seq + 1, record, error))
    return FALSE;
  tenant->last_seq++;
  tenant->last_time = MAX (tenant->last_time, record->time);
  return TRUE;
}

gboolean
sandbox_store_recompute_consumed (SandboxStore   *store,
                                  SandboxTenant  *tenant,
                                  GError        **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (tenant->license == SANDBOX_LICENSE_SESSION)
    {
      stmt = prepare (store, "SELECT COUNT(*) FROM records WHERE key >= ?1 AND key < ?2"
                             " AND t BETWEEN ?3 AND ?4", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 3, tenant->start);
      sqlite3_bind_int64 (stmt, 4, tenant->end);
    }
  else
    {
      stmt = prepare (store, "SELECT COUNT(*) FROM records WHERE key >= ?1 AND key < ?2 AND (flags & 256) = 0",
                      error);
      if (stmt == NULL)
        return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, KEY_BASE (tenant));
  sqlite3_bind_int64 (stmt, 2, KEY_END (tenant));
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    tenant->consumed = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return set_error (store, error);
  return TRUE;
}

gboolean
sandbox_store_record_exists (SandboxStore   *store,
                             SandboxTenant  *tenant,
                             const char     *rid,
                             gboolean       *exists,
                             GError        **error)
{
  sqlite3_stmt *stmt = prepare (store, "SELECT 1 FROM records WHERE rid = ?1 AND key >= ?2 AND key < ?3",
                                error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, rid);
  sqlite3_bind_int64 (stmt, 2, KEY_BASE (tenant));
  sqlite3_bind_int64 (stmt, 3, KEY_END (tenant));
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_error (store, error);
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

/* The next generated id that nobody has taken with a given record. */
char *
sandbox_store_next_rid (SandboxStore   *store,
                        SandboxTenant  *tenant,
                        GError        **error)
{
  for (;;)
    {
      g_autofree char *rid = g_strdup_printf ("%s-%09" G_GINT64_FORMAT,
                                              tenant->license == SANDBOX_LICENSE_SESSION ? "S" : "U",
                                              tenant->next_number);
      gboolean exists;

      if (!sandbox_store_record_exists (store, tenant, rid, &exists, error))
        return NULL;
      if (!exists)
        return g_steal_pointer (&rid);
      tenant->next_number++;
    }
}

static gint64
clamp_now (SandboxTenant *tenant)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  return CLAMP (now, tenant->start, MAX (tenant->start, tenant->end));
}

gboolean
sandbox_store_append_generated (SandboxStore   *store,
                                SandboxTenant  *tenant,
                                gint64          count,
                                GError        **error)
{
  SandboxScratch scratch;
  gboolean ok = TRUE;
  gint64 t = MAX (tenant->last_time, clamp_now (tenant));

  if (!ensure_insert_statement (store, error))
    return FALSE;
  sandbox_scratch_init (&scratch);
  for (gint64 i = 0; i < count && ok; i++)
    {
      SandboxRecord record;
      g_autofree char *rid = sandbox_store_next_rid (store, tenant, error);

      if (rid == NULL)
        {
          ok = FALSE;
          break;
        }
      sandbox_generate_record (tenant->seed, tenant->domain, tenant->license,
                               tenant->next_number, t, &scratch, &record);
      record.rid = rid;
      if (tenant->license == SANDBOX_LICENSE_USER)
        record.status = SANDBOX_STATUS_ACTIVE;
      ok = sandbox_store_insert_record (store, tenant, &record, error);
      tenant->next_number++;
    }
  sandbox_scratch_clear (&scratch);
  return ok;
}

static void
read_record (sqlite3_stmt  *stmt,
             int            first,
             SandboxRecord *r)
{
  int flags = sqlite3_column_int (stmt, first + 2);

  r->rid = (const char *) sqlite3_column_text (stmt, first + 0);
  r->time = sqlite3_column_int64 (stmt, first + 1);
  r->initiated = flags & 1;
  r->role = ((flags >> 1) & 7) % SANDBOX_N_ROLES;
  r->channel = ((flags >> 4) & 7) % SANDBOX_N_CHANNELS;
  r->status = (flags >> 8) & 1;
  r->user_name = (const char *) sqlite3_column_text (stmt, first + 3);
  r->email = (const char *) sqlite3_column_text (stmt, first + 4);
  r->first_name = (const char *) sqlite3_column_text (stmt, first + 5);
  r->last_name = (const char *) sqlite3_column_text (stmt, first + 6);
  r->agent_name = (const char *) sqlite3_column_text (stmt, first + 7);
  r->conversations = sqlite3_column_int64 (stmt, first + 8);
}

gboolean
sandbox_store_touch (SandboxStore   *store,
                     SandboxTenant  *tenant,
                     gint64          count,
                     gint64         *touched,
                     GError        **error)
{
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *select, *update, *vacate;
  gint64 now = clamp_now (tenant);
  gboolean ok = TRUE;
  int rc;

  select = prepare (store, "SELECT key FROM records WHERE key > ?1 AND key < ?2 ORDER BY key LIMIT ?3",
                    error);
  if (select == NULL)
    return FALSE;
  sqlite3_bind_int64 (select, 1, KEY_BASE (tenant));
  sqlite3_bind_int64 (select, 2, KEY_END (tenant));
  sqlite3_bind_int64 (select, 3, count);
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (select, 0) - KEY_BASE (tenant);

      g_array_append_val (seqs, seq);
    }
  sqlite3_finalize (select);
  if (rc != SQLITE_DONE)
    return set_error (store, error);

  update = prepare (store,
                    "UPDATE records SET key = ?1, conversations = conversations + 1,"
                    " flags = CASE WHEN ?2 THEN flags + CASE WHEN flags & 256 THEN -256 ELSE 256 END"
                    "   ELSE flags END,"
                    " t = CASE WHEN ?2 THEN ?3 ELSE t END"
                    " WHERE key = ?4", error);
  vacate = prepare (store, "INSERT INTO vacated (tenant, seq) VALUES (?, ?)", error);
  if (update == NULL || vacate == NULL)
    {
      sqlite3_finalize (update);
      sqlite3_finalize (vacate);
      return FALSE;
    }
  for (guint i = 0; i < seqs->len && ok; i++)
    {
      gint64 seq = g_array_index (seqs, gint64, i);
      /* Every second touched user license is released or allocated again. */
      gboolean flip = tenant->license == SANDBOX_LICENSE_USER && i % 2 == 1;

      sqlite3_bind_int64 (update, 1, KEY_BASE (tenant) + tenant->last_seq + 1);
      sqlite3_bind_int (update, 2, flip);
      sqlite3_bind_int64 (update, 3, now);
      sqlite3_bind_int64 (update, 4, KEY_BASE (tenant) + seq);
      sqlite3_bind_int64 (vacate, 1, tenant->id);
      sqlite3_bind_int64 (vacate, 2, seq);
      if (sqlite3_step (update) != SQLITE_DONE || sqlite3_step (vacate) != SQLITE_DONE)
        ok = set_error (store, error);
      sqlite3_reset (update);
      sqlite3_reset (vacate);
      if (ok)
        tenant->last_seq++;
    }
  sqlite3_finalize (update);
  sqlite3_finalize (vacate);
  *touched = seqs->len;
  return ok;
}

void
sandbox_record_append_json (GString             *out,
                            SandboxLicense       license,
                            guint64              seed,
                            const SandboxRecord *r)
{
  gint64 last = 0;

  if (license == SANDBOX_LICENSE_SESSION)
    {
      g_string_append (out, "{\"sessionId\":");
      sandbox_json_append_string (out, r->rid);
      g_string_append (out, ",\"startedOn\":");
      sandbox_json_append_time (out, r->time);
      g_string_append (out, ",\"initiatedBy\":\"");
      g_string_append (out, sandbox_initiated_names[r->initiated]);
      g_string_append (out, "\",\"userName\":");
      sandbox_json_append_string (out, r->user_name);
      g_string_append (out, ",\"email\":");
      sandbox_json_append_string (out, r->email);
      g_string_append (out, ",\"role\":\"");
      g_string_append (out, sandbox_role_names[r->role]);
      g_string_append (out, "\",\"agentName\":");
      sandbox_json_append_string (out, r->agent_name);
      g_string_append (out, ",\"channel\":\"");
      g_string_append (out, sandbox_channel_names[r->channel]);
      g_string_append (out, "\",\"conversations\":");
    }
  else
    {
      g_string_append (out, "{\"userId\":");
      sandbox_json_append_string (out, r->rid);
      g_string_append (out, ",\"userName\":");
      sandbox_json_append_string (out, r->user_name);
      g_string_append (out, ",\"email\":");
      sandbox_json_append_string (out, r->email);
      g_string_append (out, ",\"firstName\":");
      sandbox_json_append_string (out, r->first_name != NULL ? r->first_name : "");
      g_string_append (out, ",\"lastName\":");
      sandbox_json_append_string (out, r->last_name != NULL ? r->last_name : "");
      g_string_append (out, ",\"role\":\"");
      g_string_append (out, sandbox_role_names[r->role]);
      g_string_append (out, "\",\"status\":\"");
      g_string_append (out, sandbox_status_names[r->status]);
      g_string_append (out, "\",\"createdOn\":");
      sandbox_json_append_time (out, r->time);
      g_string_append (out, ",\"conversations\":");
    }
  sandbox_json_append_int (out, r->conversations);
  if (license == SANDBOX_LICENSE_USER)
    {
      /* From the transcripts the user's conversations are generated as. */
      g_string_append (out, ",\"lastConversationOn\":");
      if (sandbox_last_conversation_on (seed, license, r, 0, &last))
        sandbox_json_append_time (out, last);
      else
        g_string_append (out, "null");
    }
  g_string_append_c (out, '}');
}

gboolean
sandbox_store_page (SandboxStore   *store,
                    SandboxTenant  *tenant,
                    gint64          after_seq,
                    gint64          limit,
                    GString        *items,
                    gint64         *last_seq,
                    gboolean       *has_more,
                    gint64         *remaining,
                    GError        **error)
{
  gint64 n = 0;
  gint64 vacated = 0;
  int rc;

  if (store->page == NULL)
    store->page = prepare (store,
                           "SELECT key, " RECORD_COLUMNS " FROM records"
                           " WHERE key > ?1 AND key < ?2 ORDER BY key LIMIT ?3", error);
  if (store->count_vacated == NULL)
    store->count_vacated = prepare (store,
                                    "SELECT COUNT(*) FROM vacated WHERE tenant = ? AND seq > ?", error);
  if (store->page == NULL || store->count_vacated == NULL)
    return FALSE;

  *last_seq = after_seq;
  *has_more = FALSE;
  sqlite3_bind_int64 (store->page, 1, KEY_BASE (tenant) + after_seq);
  sqlite3_bind_int64 (store->page, 2, KEY_END (tenant));
  sqlite3_bind_int64 (store->page, 3, limit + 1);
  g_string_append_c (items, '[');
  while ((rc = sqlite3_step (store->page)) == SQLITE_ROW)
    {
      SandboxRecord record;

      if (n == limit)
        {
          *has_more = TRUE;
          break;
        }
      read_record (store->page, 1, &record);
      if (n > 0)
        g_string_append_c (items, ',');
      sandbox_record_append_json (items, tenant->license, tenant->seed, &record);
      *last_seq = sqlite3_column_int64 (store->page, 0) - KEY_BASE (tenant);
      n++;
    }
  g_string_append_c (items, ']');
  sqlite3_reset (store->page);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_error (store, error);

  sqlite3_bind_int64 (store->count_vacated, 1, tenant->id);
  sqlite3_bind_int64 (store->count_vacated, 2, *last_seq);
  rc = sqlite3_step (store->count_vacated);
  if (rc == SQLITE_ROW)
    vacated = sqlite3_column_int64 (store->count_vacated, 0);
  sqlite3_reset (store->count_vacated);
  if (rc != SQLITE_ROW)
    return set_error (store, error);

  /* Every seq up to last_seq is either a record or vacated. */
  *remaining = tenant->last_seq - *last_seq - vacated;
  return TRUE;
}

gboolean
sandbox_store_conversations (SandboxStore   *store,
                             SandboxTenant  *tenant,
                             const char     *rid,
                             GString        *out,
                             gboolean       *found,
                             GError        **error)
{
  int rc;

  if (store->get_record == NULL)
    store->get_record = prepare (store,
                                 "SELECT " RECORD_COLUMNS " FROM records"
                                 " WHERE rid = ?1 AND key >= ?2 AND key < ?3", error);
  if (store->get_record == NULL)
    return FALSE;
  bind_text (store->get_record, 1, rid);
  sqlite3_bind_int64 (store->get_record, 2, KEY_BASE (tenant));
  sqlite3_bind_int64 (store->get_record, 3, KEY_END (tenant));
  rc = sqlite3_step (store->get_record);
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW)
    {
      SandboxRecord record;

      read_record (store->get_record, 0, &record);
      sandbox_generate_conversations (out, tenant->seed, tenant->license, &record,
                                      tenant->session_minutes);
    }
  sqlite3_reset (store->get_record);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_error (store, error);
  return TRUE;
}

static void
append_purchase (GString      *out,
                 sqlite3_stmt *stmt)
{
  char id[32];

  g_snprintf (id, sizeof id, "P-%04" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 0));
  g_string_append (out, "{\"purchaseId\":");
  sandbox_json_append_string (out, id);
  g_string_append (out, ",\"performedOn\":");
  sandbox_json_append_time (out, sqlite3_column_int64 (stmt, 1));
  g_string_append (out, ",\"kind\":\"");
  g_string_append (out, sandbox_kind_names[sqlite3_column_int (stmt, 2) & 3]);
  g_string_append_printf (out, "\",\"change\":%" G_GINT64_FORMAT ",\"totalAfter\":%" G_GINT64_FORMAT,
                          (gint64) sqlite3_column_int64 (stmt, 3), (gint64) sqlite3_column_int64 (stmt, 4));
  g_string_append (out, ",\"performedBy\":");
  sandbox_json_append_string (out, (const char *) sqlite3_column_text (stmt, 5));
  g_string_append (out, ",\"reason\":");
  sandbox_json_append_string (out, (const char *) sqlite3_column_text (stmt, 6));
  g_string_append (out, ",\"reference\":");
  sandbox_json_append_string (out, (const char *) sqlite3_column_text (stmt, 7));
  g_string_append_c (out, '}');
}

#define PURCHASE_COLUMNS "number, performed, kind, change, total_after, performed_by, reason, reference"

gboolean
sandbox_store_purchases (SandboxStore   *store,
                         SandboxTenant  *tenant,
                         GString        *out,
                         GError        **error)
{
  sqlite3_stmt *stmt = prepare (store,
                                "SELECT " PURCHASE_COLUMNS " FROM purchases WHERE tenant = ?"
                                " ORDER BY number DESC", error);
  gboolean first = TRUE;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tenant->id);
  g_string_append_c (out, '[');
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      append_purchase (out, stmt);
    }
  g_string_append_c (out, ']');
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  return TRUE;
}

gboolean
sandbox_store_add_purchase (SandboxStore   *store,
                            SandboxTenant  *tenant,
                            gint64          performed,
                            int             kind,
                            gint64          change,
                            const char     *performed_by,
                            const char     *reason,
                            const char     *reference,
                            GString        *purchase_json,
                            GError        **error)
{
  sqlite3_stmt *stmt = prepare (store,
                                "INSERT INTO purchases (tenant, " PURCHASE_COLUMNS ")"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  gint64 number = tenant->next_purchase;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tenant->id);
  sqlite3_bind_int64 (stmt, 2, number);
  sqlite3_bind_int64 (stmt, 3, performed);
  sqlite3_bind_int (stmt, 4, kind);
  sqlite3_bind_int64 (stmt, 5, change);
  sqlite3_bind_int64 (stmt, 6, tenant->total + change);
  bind_text (stmt, 7, performed_by);
  bind_text (stmt, 8, reason);
  bind_text (stmt, 9, reference);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  tenant->next_purchase++;
  tenant->total += change;
  if (is_refill (kind))
    note_refill (tenant, performed, number, change);

  if (purchase_json != NULL)
    {
      stmt = prepare (store, "SELECT " PURCHASE_COLUMNS " FROM purchases WHERE tenant = ? AND number = ?",
                      error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, tenant->id);
      sqlite3_bind_int64 (stmt, 2, number);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        append_purchase (purchase_json, stmt);
      sqlite3_finalize (stmt);
    }
  return TRUE;
}

static void
append_field (GString    *line,
              const char *text)
{
  if (line->len > 0)
    g_string_append_c (line, '\t');
  if (text != NULL)
    g_string_append (line, text);
}

gboolean
sandbox_store_stats (SandboxStore   *store,
                     SandboxTenant  *tenant,
                     gint64         *records,
                     char          **checksum,
                     GError        **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GString) line = g_string_sized_new (256);
  sqlite3_stmt *stmt = prepare (store,
                                "SELECT " RECORD_COLUMNS " FROM records WHERE key >= ?1 AND key < ?2"
                                " ORDER BY rid", error);
  gint64 n = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, KEY_BASE (tenant));
  sqlite3_bind_int64 (stmt, 2, KEY_END (tenant));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SandboxRecord r;
      char time[32];
      char count[32];

      read_record (stmt, 0, &r);
      sandbox_time_format (r.time, time);
      g_snprintf (count, sizeof count, "%" G_GINT64_FORMAT, r.conversations);
      g_string_truncate (line, 0);
      /* The first field may be empty only in theory: ids are 1-64 chars. */
      g_string_append (line, r.rid);
      if (tenant->license == SANDBOX_LICENSE_SESSION)
        {
          append_field (line, time);
          append_field (line, sandbox_initiated_names[r.initiated]);
          append_field (line, r.user_name);
          append_field (line, r.email);
          append_field (line, sandbox_role_names[r.role]);
          append_field (line, r.agent_name);
          append_field (line, sandbox_channel_names[r.channel]);
        }
      else
        {
          append_field (line, r.user_name);
          append_field (line, r.email);
          append_field (line, r.first_name);
          append_field (line, r.last_name);
          append_field (line, sandbox_role_names[r.role]);
          append_field (line, sandbox_status_names[r.status]);
          append_field (line, time);
        }
      append_field (line, count);
      if (tenant->license == SANDBOX_LICENSE_USER)
        {
          gint64 last;

          /* null is the empty field */
          if (sandbox_last_conversation_on (tenant->seed, tenant->license, &r, 0, &last))
            sandbox_time_format (last, time);
          else
            time[0] = '\0';
          append_field (line, time);
        }
      g_string_append_c (line, '\n');
      g_checksum_update (sum, (const guchar *) line->str, line->len);
      n++;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  *records = n;
  *checksum = g_strdup (g_checksum_get_string (sum));
  return TRUE;
}

gboolean
sandbox_store_idempotency_get (SandboxStore   *store,
                               const char     *key,
                               gint64          not_before,
                               char          **fingerprint,
                               guint          *status,
                               char          **body,
                               GError        **error)
{
  sqlite3_stmt *stmt = prepare (store,
                                "SELECT fingerprint, status, body FROM idempotency"
                                " WHERE key = ? AND created >= ?", error);
  int rc;

  *fingerprint = NULL;
  *body = NULL;
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, key);
  sqlite3_bind_int64 (stmt, 2, not_before);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *fingerprint = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *status = sqlite3_column_int (stmt, 1);
      *body = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_error (store, error);
  return TRUE;
}

gboolean
sandbox_store_idempotency_put (SandboxStore   *store,
                               const char     *key,
                               const char     *fingerprint,
                               gint64          created,
                               guint           status,
                               const char     *body,
                               GError        **error)
{
  sqlite3_stmt *stmt = prepare (store,
                                "INSERT OR REPLACE INTO idempotency (key, fingerprint, created, status, body)"
                                " VALUES (?, ?, ?, ?, ?)", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, key);
  bind_text (stmt, 2, fingerprint);
  sqlite3_bind_int64 (stmt, 3, created);
  sqlite3_bind_int (stmt, 4, status);
  bind_text (stmt, 5, body);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (store, error);
  return TRUE;
}

/* ---- creating and seeding tenants ---- */

static char *
make_domain (const char *external_id)
{
  GString *d = g_string_new (NULL);

  for (const char *p = external_id; *p != '\0'; p++)
    g_string_append_c (d, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '-');
  g_string_append (d, ".example");
  return g_string_free (d, FALSE);
}

static gboolean
seed_purchases (SandboxStore   *store,
                SandboxTenant  *t,
                gint64          licenses,
                gint64          upper,
                GError        **error)
{
  gint64 span = MAX (upper - t->start, 0);
  gint64 initial, refill, removal, automatic;

  t->total = 0;
  if (licenses < 20)
    return sandbox_store_add_purchase (store, t, t->start, SANDBOX_KIND_PURCHASE, licenses,
                                       "superadmin", "Initial purchase", NULL, NULL, error);

  initial = licenses * 6 / 10;
  refill = licenses * 3 / 10;
  removal = -(licenses / 20);
  automatic = licenses - initial - refill - removal;
  return sandbox_store_add_purchase (store, t, t->start, SANDBOX_KIND_PURCHASE, initial,
                                     "superadmin", "Initial purchase", NULL, NULL, error) &&
         sandbox_store_add_purchase (store, t, t->start + span * 3 / 10, SANDBOX_KIND_REFILL, refill,
                                     "superadmin", "Q2 campaign, order 4471", "PO-4471", NULL, error) &&
         sandbox_store_add_purchase (store, t, t->start + span * 5 / 10, SANDBOX_KIND_REMOVAL, removal,
                                     "superadmin", "Unused licenses returned", NULL, NULL, error) &&
         sandbox_store_add_purchase (store, t, t->start + span * 8 / 10, SANDBOX_KIND_AUTO_REFILL, automatic,
                                     "system", "Automatic refill at 95 %", NULL, NULL, error);
}

static gboolean
seed_records (SandboxStore   *store,
              SandboxTenant  *t,
              gint64          count,
              gint64          upper,
              GError        **error)
{
  SandboxScratch scratch;
  gint64 span = MAX (upper - t->start, 0);
  gboolean ok = TRUE;

  if (!ensure_insert_statement (store, error))
    return FALSE;
  sandbox_scratch_init (&scratch);
  for (gint64 i = 0; i < count && ok; i++)
    {
      SandboxRecord record;
      /* Spread over the term up to now, increasing along the feed. */
      gint64 lo = t->start + span * i / count;
      gint64 hi = t->start + span * (i + 1) / count;
      SandboxRng rng;
      gint64 time;

      sandbox_rng_init (&rng, t->seed ^ 0x5eed, (guint64) i);
      time = lo + (hi > lo ? (gint64) (sandbox_rng_next (&rng) % (guint64) (hi - lo)) : 0);
      sandbox_generate_record (t->seed, t->domain, t->license, t->next_number, time,
                               &scratch, &record);
      ok = insert_record_at (store, t, i + 1, &record, error);
      /* Counted here rather than by a scan afterwards. */
      if (t->license == SANDBOX_LICENSE_SESSION ? (time >= t->start && time <= t->end)
                                                : record.status == SANDBOX_STATUS_ACTIVE)
        t->consumed++;
      t->next_number++;
      t->last_time = time;
    }
  sandbox_scratch_clear (&scratch);
  t->last_seq = count;
  return ok;
}

gboolean
sandbox_store_add_tenants (SandboxStore  *store,
                           GPtrArray     *specs,
                           GError       **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean any_new = FALSE;

  for (guint i = 0; i < specs->len; i++)
    if (sandbox_store_lookup (store, ((SandboxTenantSpec *) g_ptr_array_index (specs, i))->external_id) == NULL)
      any_new = TRUE;
  if (!any_new)
    return exec (store, "CREATE INDEX IF NOT EXISTS records_rid ON records (rid)", error);

  /* Bulk insert first, the secondary index after: much faster. */
  if (!exec (store, "DROP INDEX IF EXISTS records_rid", error) ||
      !sandbox_store_begin (store, error))
    return FALSE;

  for (guint i = 0; i < specs->len; i++)
    {
      SandboxTenantSpec *spec = g_ptr_array_index (specs, i);
      SandboxTenant *t;
      gint64 upper;
      g_autofree char *technical = NULL;
      g_autofree char *finance = NULL;
      g_autofree char *cfo = NULL;

      if (sandbox_store_lookup (store, spec->external_id) != NULL)
        continue;

      t = g_new0 (SandboxTenant, 1);
      t->external_id = g_strdup (spec->external_id);
      t->name = g_strdup (spec->name != NULL ? spec->name : spec->external_id);
      t->license = spec->license;
      t->start = spec->start;
      t->end = spec->end;
      t->session_minutes = spec->session_minutes;
      t->version = 1;
      t->domain = make_domain (spec->external_id);
      technical = g_strdup_printf ("it@%s", t->domain);
      finance = g_strdup_printf ("finance@%s", t->domain);
      cfo = g_strdup_printf ("cfo@%s", t->domain);
      t->technical = g_strdupv ((char *[]) { technical, NULL });
      t->billing = g_strdupv ((char *[]) { finance, cfo, NULL });
      t->api_key = g_strdup (spec->api_key);
      t->key_active = TRUE;
      t->key_permission = TRUE;
      t->seed = spec->seed_value ^ sandbox_hash_string (spec->external_id);
      t->next_number = 1;
      t->next_purchase = 1;
      t->last_time = t->start;
      t->feed_id = g_random_int () & 0x7fffffff;
      g_ptr_array_add (store->tenants, t);
      g_hash_table_insert (store->by_external_id, t->external_id, t);

      /* Whole hours keep two runs started close together identical. */
      upper = MIN (t->end, now - now % 3600);
      if (upper <= t->start)
        upper = t->end;

      if (!sandbox_store_save_tenant (store, t, error) ||
          !seed_purchases (store, t, spec->licenses, upper, error) ||
          !seed_records (store, t, spec->seed_count, upper, error) ||
          !sandbox_store_save_tenant (store, t, error))
        {
          sandbox_store_rollback (store);
          return FALSE;
        }
    }

  return sandbox_store_commit (store, error) &&
         exec (store, "CREATE INDEX IF NOT EXISTS records_rid ON records (rid)", error);
}

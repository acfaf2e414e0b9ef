/* luma-csv.c: the License Consumption Report (CSV)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* sync_file_range() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "luma-csv-private.h"
#include "luma-history-columns.h"

/* Write through a large buffer: one write() per 256 KiB, never per row. */
#define FLUSH_SIZE (256 * 1024)
/* A file's pages are sent to the disk every 16 MiB while it is written, so
 * that the fsync() at the end has little left to wait for. */
#define WRITEBACK_SIZE (16 * 1024 * 1024)
/* Rows between checks of the cancellable and progress reports. */
#define CHECK_EVERY 4096

/* ---- The writer core ---------------------------------------------------------------------------- */

/* Bytes that force a field into quotes: RFC 4180's comma, quote, CR and LF,
 * and the other list separators spreadsheets use (semicolon in most of
 * Europe, tab), so that a reader splitting on those keeps the field whole
 * when it honours quotes. */
static const guint8 quote_trigger[256] = {
  [','] = 1, [';'] = 1, ['\t'] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1,
};

/* The formula guard (OWASP CSV injection, extended to every separator):
 *
 * A spreadsheet evaluates a cell whose text, after the white space it may
 * trim, starts with = + - or @ (and, in East Asian input modes, their
 * full-width forms). The report is comma-separated, but it is also opened
 * with ";" or tab as the separator, and then a cell starts at every ";" or
 * tab inside a field, quoted or not. So at every possible cell start of a
 * text field (its first byte, and the byte after each , ; tab CR or LF in
 * it), when what follows, past white space (Unicode's, NBSP included),
 * zero-width characters and double quotes, is a trigger, a single quote (')
 * is inserted right there: the cell then starts with ' in every convention
 * and is read as text. A field starting with tab, CR or LF gets the quote too
 * (OWASP's list). Separators other than these (a space, "|") are not
 * guarded. */
static inline gboolean
is_trigger (gunichar c)
{
  return c == '=' || c == '+' || c == '-' || c == '@' ||
         c == 0xff1d || c == 0xff0b || c == 0xff0d || c == 0xff20;  /* ＝ ＋ － ＠ */
}

static inline gboolean
is_skipped (gunichar c)
{
  return c == '"' || g_unichar_isspace (c) ||
         c == 0x200b || c == 0x2060 || c == 0xfeff;  /* zero-width space, word joiner, ZWNBSP */
}

/* What a scan decided, reused by the boundaries inside the run it skipped:
 * a field of many tabs costs one scan, not one per tab. */
typedef struct
{
  const guchar *stop;     /* where the scan decided (or @end) */
  gboolean      trigger;
} Lookahead;

static gboolean
starts_formula (Lookahead    *la,
                const guchar *p,
                const guchar *end)
{
  if (la->stop != NULL && p <= la->stop)
    return la->trigger;

  la->trigger = FALSE;
  while (p < end)
    {
      gunichar c;
      int n;

      if (*p < 0x80)
        {
          /* Most fields start with a letter or a digit: neither a trigger nor skipped. */
          if (g_ascii_isalnum (*p))
            break;
          c = *p;
          n = 1;
        }
      else
        {
          c = g_utf8_get_char_validated ((const char *) p, end - p);
          if (c == (gunichar) -1 || c == (gunichar) -2)
            break;
          n = g_utf8_skip[*p];
        }
      if (is_trigger (c))
        {
          la->trigger = TRUE;
          break;
        }
      if (!is_skipped (c))
        break;
      p += n;
    }
  la->stop = p;
  return la->trigger;
}

void
luma_csv_append_field (GString    *out,
                       const char *value,
                       gssize      len,
                       gboolean    guard)
{
  const guchar *start;
  const guchar *end;
  const guchar *p;
  const guchar *run;
  Lookahead la = { NULL, FALSE };

  if (value == NULL)
    return;
  if (len < 0)
    len = strlen (value);
  if (len == 0)
    return;

  start = (const guchar *) value;
  end = start + len;
  p = start;
  while (p < end && !quote_trigger[*p])
    p++;

  /* Neither quotes nor a cell boundary inside: only the start to guard. */
  if (p == end)
    {
      if (guard && starts_formula (&la, start, end))
        g_string_append_c (out, '\'');
      g_string_append_len (out, value, len);
      return;
    }

  g_string_append_c (out, '"');
  if (guard && (*start == '\t' || *start == '\r' || *start == '\n' ||
                starts_formula (&la, start, end)))
    g_string_append_c (out, '\'');

  /* Copy runs between the bytes that need a look: a quote is doubled, a
   * cell boundary may need the guard after it. */
  run = start;
  for (p = start; p < end; p++)
    {
      if (!quote_trigger[*p])
        continue;

      g_string_append_len (out, (const char *) run, p + 1 - run);
      run = p + 1;
      if (*p == '"')
        g_string_append_c (out, '"');
      else if (guard && starts_formula (&la, p + 1, end))
        g_string_append_c (out, '\'');
    }
  g_string_append_len (out, (const char *) run, end - run);

  g_string_append_c (out, '"');
}

void
luma_csv_append_row (GString            *out,
                     const char * const *fields,
                     guint               n_fields)
{
  guint i;

  for (i = 0; i < n_fields; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      luma_csv_append_field (out, fields[i], -1, TRUE);
    }
  g_string_append_len (out, "\r\n", 2);
}

void
luma_csv_append_header (GString         *out,
                        LumaLicenseType  license_type)
{
  guint n;
  const LumaHistoryColumnInfo *columns = luma_history_columns_get (license_type, &n);
  g_autofree const char **titles = g_new (const char *, n);

  for (guint i = 0; i < n; i++)
    titles[i] = luma_history_column_get_title (&columns[i]);

  luma_csv_append_row (out, titles, n);
}

/* Values are not translated: a report read by scripts and other people's
 * spreadsheets must not depend on the exporter's language. */
static const char * const initiated_by_labels[] = { "End User", "Agent" };
static const char * const channel_labels[] = {
  "MS Teams", "Skype for Business", "Web Widget", "Slack", "WhatsApp", "Email",
};
static const char * const role_labels[] = { "Admin", "Developer", "Analyst", "Self-service", "Guest" };
static const char * const user_status_labels[] = { "Active", "Inactive" };

G_STATIC_ASSERT (G_N_ELEMENTS (channel_labels) == LUMA_N_CHANNELS);
G_STATIC_ASSERT (G_N_ELEMENTS (role_labels) == LUMA_N_ROLES);

#define LABEL(table, value) \
  (((guint) (value)) < G_N_ELEMENTS (table) ? table[(guint) (value)] : "")

const char *
luma_csv_initiated_by_label (LumaInitiatedBy value)
{
  return LABEL (initiated_by_labels, value);
}

const char *
luma_csv_channel_label (LumaChannel value)
{
  return LABEL (channel_labels, value);
}

const char *
luma_csv_role_label (LumaRole value)
{
  return LABEL (role_labels, value);
}

const char *
luma_csv_user_status_label (LumaUserStatus value)
{
  return LABEL (user_status_labels, value);
}

static inline char *
put2 (char *p,
      int   v)
{
  p[0] = '0' + v / 10;
  p[1] = '0' + v % 10;
  return p + 2;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (the well-known
 * era-based conversion): a handful of integer operations per row instead of
 * a GDateTime. */
static void
civil_from_days (gint64  days,
                 gint64 *year,
                 int    *month,
                 int    *day)
{
  gint64 era, doe, yoe, doy, mp, y;

  days += 719468;
  era = (days >= 0 ? days : days - 146096) / 146097;
  doe = days - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *day = (int) (doy - (153 * mp + 2) / 5 + 1);
  *month = (int) (mp < 10 ? mp + 3 : mp - 9);
  *year = y + (*month <= 2);
}

void
luma_csv_append_time (GString *out,
                      gint64   t)
{
  char buf[32];
  char *p = buf;
  gint64 days, secs, year;
  int month, day;

  days = t / 86400;
  secs = t % 86400;
  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  civil_from_days (days, &year, &month, &day);

  if (year < 0 || year > 9999)
    {
      /* Outside what the contract can carry; still write something exact. */
      g_string_append_printf (out, "%" G_GINT64_FORMAT "-%02d-%02dT%02d:%02d:%02dZ",
                              year, month, day, (int) (secs / 3600), (int) (secs / 60 % 60),
                              (int) (secs % 60));
      return;
    }

  p = put2 (p, (int) (year / 100));
  p = put2 (p, (int) (year % 100));
  *p++ = '-';
  p = put2 (p, month);
  *p++ = '-';
  p = put2 (p, day);
  *p++ = 'T';
  p = put2 (p, (int) (secs / 3600));
  *p++ = ':';
  p = put2 (p, (int) (secs / 60 % 60));
  *p++ = ':';
  p = put2 (p, (int) (secs % 60));
  *p++ = 'Z';

  g_string_append_len (out, buf, p - buf);
}

void
luma_csv_append_count (GString *out,
                       gint64   n)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 v = n < 0 ? (guint64) -n : (guint64) n;

  do
    {
      *--p = '0' + v % 10;
      v /= 10;
    }
  while (v != 0);
  if (n < 0)
    *--p = '-';

  g_string_append_len (out, p, buf + sizeof buf - p);
}

void
luma_csv_append_record (GString         *out,
                        LumaLicenseType  license_type,
                        gconstpointer    record)
{
  guint n;
  const LumaHistoryColumnInfo *columns = luma_history_columns_get (license_type, &n);

  for (guint i = 0; i < n; i++)
    {
      LumaHistoryColumn key = columns[i].key;
      gint64 value = luma_history_record_get_value (license_type, record, key);

      if (i > 0)
        g_string_append_c (out, ',');

      switch (columns[i].kind)
        {
        case LUMA_HISTORY_VALUE_TIME:
          luma_csv_append_time (out, value);
          break;
        case LUMA_HISTORY_VALUE_COUNT:
          luma_csv_append_count (out, value);
          break;
        case LUMA_HISTORY_VALUE_ENUM:
          if (key == LUMA_HISTORY_COLUMN_ROLE)
            luma_csv_append_field (out, luma_csv_role_label ((LumaRole) value), -1, TRUE);
          else if (key == LUMA_HISTORY_COLUMN_INITIATED_BY)
            luma_csv_append_field (out, luma_csv_initiated_by_label ((LumaInitiatedBy) value), -1, TRUE);
          else if (key == LUMA_HISTORY_COLUMN_CHANNEL)
            luma_csv_append_field (out, luma_csv_channel_label ((LumaChannel) value), -1, TRUE);
          else
            luma_csv_append_field (out, luma_csv_user_status_label ((LumaUserStatus) value), -1, TRUE);
          break;
        case LUMA_HISTORY_VALUE_TEXT:
        default:
          luma_csv_append_field (out, luma_history_record_get_text (license_type, record, key),
                                 -1, TRUE);
          break;
        }
    }
  g_string_append_len (out, "\r\n", 2);
}

void
luma_csv_append_session (GString                 *out,
                         const LumaSessionRecord *record)
{
  luma_csv_append_record (out, LUMA_LICENSE_TYPE_SESSION, record);
}

void
luma_csv_append_user (GString              *out,
                      const LumaUserRecord *record)
{
  luma_csv_append_record (out, LUMA_LICENSE_TYPE_USER, record);
}

/* ---- Writing a file on its own thread ------------------------------------------------------------ */

/* A file is written by a thread of its own while the next buffer is filled:
 * reading the rows and formatting them take one core, the kernel's copying
 * of 100 MB into the page cache the other. Two buffers in all: the one being
 * filled and the one being written, so memory stays bounded. */
typedef struct
{
  GMutex    lock;
  GCond     cond;
  GThread  *thread;
  int       fd;
  GString  *pending;     /* handed over to be written, or NULL */
  GString  *returned;    /* written, for the next fill */
  gboolean  quit;
  int       error_errno; /* of the first failed write(), or 0 */
  guint64   written;
  guint64   sent;        /* bytes whose writeback was started */
} FileWriter;

static gboolean
write_all (int          fd,
           const char  *p,
           gsize        left,
           int         *errno_out)
{
  while (left > 0)
    {
      gssize n = write (fd, p, left);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *errno_out = errno;
          return FALSE;
        }
      p += n;
      left -= n;
    }
  return TRUE;
}

static gpointer
file_writer_thread (gpointer data)
{
  FileWriter *w = data;

  g_mutex_lock (&w->lock);
  for (;;)
    {
      GString *buf;
      int failed = 0;

      while (w->pending == NULL && !w->quit)
        g_cond_wait (&w->cond, &w->lock);
      if (w->pending == NULL)
        break;
      buf = w->pending;
      g_mutex_unlock (&w->lock);

      /* After a failure the rest is dropped: the export stops at its next
       * hand-over and removes the file. Only this thread sets the error. */
      if (w->error_errno == 0 && write_all (w->fd, buf->str, buf->len, &failed))
        {
          w->written += buf->len;
          if (w->written - w->sent >= WRITEBACK_SIZE)
            {
              /* Only a head start for the fsync(), which reports any error. */
              (void) sync_file_range (w->fd, w->sent, w->written - w->sent, SYNC_FILE_RANGE_WRITE);
              w->sent = w->written;
            }
        }
      g_string_truncate (buf, 0);

      g_mutex_lock (&w->lock);
      if (failed != 0 && w->error_errno == 0)
        w->error_errno = failed;
      w->pending = NULL;
      w->returned = buf;
      g_cond_broadcast (&w->cond);
    }
  g_mutex_unlock (&w->lock);
  return NULL;
}

static FileWriter *
file_writer_new (int fd)
{
  FileWriter *w = g_new0 (FileWriter, 1);

  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->fd = fd;
  w->thread = g_thread_new ("luma-csv-writer", file_writer_thread, w);
  return w;
}

/* Hands @buf over to be written and returns the buffer to fill next, or
 * NULL (with @errno_out set) when an earlier write failed. */
static GString *
file_writer_push (FileWriter *w,
                  GString    *buf,
                  int        *errno_out)
{
  GString *next;

  g_mutex_lock (&w->lock);
  while (w->pending != NULL)
    g_cond_wait (&w->cond, &w->lock);
  if (w->error_errno != 0)
    {
      *errno_out = w->error_errno;
      g_mutex_unlock (&w->lock);
      return NULL;
    }
  w->pending = buf;
  next = w->returned != NULL ? w->returned : g_string_sized_new (FLUSH_SIZE + 64 * 1024);
  w->returned = NULL;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  return next;
}

/* Waits for the last write and ends the thread: 0, or the errno of the
 * first failed write. */
static int
file_writer_free (FileWriter *w)
{
  int result;

  g_mutex_lock (&w->lock);
  while (w->pending != NULL)
    g_cond_wait (&w->cond, &w->lock);
  w->quit = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);

  result = w->error_errno;
  if (w->returned != NULL)
    g_string_free (w->returned, TRUE);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
  return result;
}

/* ---- Export ------------------------------------------------------------------------------------ */

typedef struct
{
  GString             *buf;
  int                  fd;          /* the temporary file, or -1 */
  FileWriter          *writer;      /* writes to fd */
  GOutputStream       *stream;      /* or a stream */
  const char          *display_name;
  GCancellable        *cancellable;
  GError              *error;
  guint64              rows;
  guint64              total;
  LumaCsvProgressFunc  progress;
  gpointer             progress_data;
} Export;

static gboolean
export_flush (Export *self)
{
  if (self->buf->len == 0)
    return TRUE;

  if (self->stream != NULL)
    {
      if (!g_output_stream_write_all (self->stream, self->buf->str, self->buf->len, NULL,
                                      self->cancellable, &self->error))
        return FALSE;
    }
  else
    {
      int saved_errno = 0;
      GString *next = file_writer_push (self->writer, self->buf, &saved_errno);

      if (next == NULL)
        {
          g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not write “%s”: %s"), self->display_name,
                       g_strerror (saved_errno));
          return FALSE;
        }
      self->buf = next;
      return TRUE;
    }

  g_string_truncate (self->buf, 0);
  return TRUE;
}

/* Waits for the file's writes to end: FALSE with the error of a failed one. */
static gboolean
export_end_writes (Export *self)
{
  int saved_errno;

  if (self->writer == NULL)
    return TRUE;
  saved_errno = file_writer_free (g_steal_pointer (&self->writer));
  if (saved_errno == 0)
    return TRUE;
  if (self->error == NULL)
    g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not write “%s”: %s"), self->display_name, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
export_row_cb (LumaLicenseType  license_type,
               gconstpointer    record,
               gpointer         user_data)
{
  Export *self = user_data;

  luma_csv_append_record (self->buf, license_type, record);

  if (self->buf->len >= FLUSH_SIZE && !export_flush (self))
    return FALSE;

  self->rows++;
  if (self->rows % CHECK_EVERY == 0)
    {
      if (g_cancellable_set_error_if_cancelled (self->cancellable, &self->error))
        return FALSE;
      if (self->progress != NULL)
        self->progress (self->rows, MAX (self->total, self->rows), self->progress_data);
    }

  return TRUE;
}

/* What a report holds, written into an Export: the history from the cache, or a table. */
typedef gboolean (*ExportBodyFunc) (Export       *self,
                                    gpointer      body_data,
                                    LumaCsvFlags  flags);

typedef struct
{
  LumaCache              *cache;
  const LumaHistoryQuery *query;
} HistoryBody;

static gboolean
export_run (Export                 *self,
            LumaCache              *cache,
            const LumaHistoryQuery *query,
            LumaCsvFlags            flags)
{
  g_autoptr(GError) local_error = NULL;

  if (self->progress != NULL)
    {
      gint64 total = luma_cache_count_matching (cache, query, self->cancellable, &local_error);

      if (total < 0)
        {
          g_propagate_error (&self->error, g_steal_pointer (&local_error));
          return FALSE;
        }
      self->total = total;
      self->progress (0, self->total, self->progress_data);
    }

  if (flags & LUMA_CSV_FLAGS_BOM)
    g_string_append_len (self->buf, "\xef\xbb\xbf", 3);
  luma_csv_append_header (self->buf, query->license_type);

  if (!luma_cache_foreach_history (cache, query, export_row_cb, self, self->cancellable,
                                   &local_error))
    {
      /* Our own error (a failed write) explains a stop better than the cache's. */
      if (self->error == NULL)
        g_propagate_error (&self->error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (self->error != NULL)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (self->cancellable, &self->error))
    return FALSE;

  if (!export_flush (self))
    return FALSE;

  if (self->progress != NULL)
    self->progress (self->rows, self->rows, self->progress_data);

  return TRUE;
}

static gboolean
history_body (Export       *self,
              gpointer      body_data,
              LumaCsvFlags  flags)
{
  HistoryBody *body = body_data;

  return export_run (self, body->cache, body->query, flags);
}

typedef struct
{
  const char * const *header;
  guint               n_columns;
  GPtrArray          *rows;
  const gboolean     *numeric;
} TableBody;

static gboolean
table_body (Export       *self,
            gpointer      body_data,
            LumaCsvFlags  flags)
{
  TableBody *body = body_data;

  if (flags & LUMA_CSV_FLAGS_BOM)
    g_string_append_len (self->buf, "\xef\xbb\xbf", 3);
  luma_csv_append_row (self->buf, body->header, body->n_columns);
  for (guint i = 0; i < body->rows->len; i++)
    {
      const char * const *fields = g_ptr_array_index (body->rows, i);

      for (guint c = 0; c < body->n_columns; c++)
        {
          if (c > 0)
            g_string_append_c (self->buf, ',');
          luma_csv_append_field (self->buf, fields[c], -1,
                                 body->numeric == NULL || !body->numeric[c]);
        }
      g_string_append (self->buf, "\r\n");
      self->rows++;
      if (self->buf->len >= FLUSH_SIZE && !export_flush (self))
        return FALSE;
    }
  return export_flush (self);
}

static void
export_init (Export              *self,
             GCancellable        *cancellable,
             LumaCsvProgressFunc  progress,
             gpointer             progress_data)
{
  memset (self, 0, sizeof *self);
  self->fd = -1;
  self->buf = g_string_sized_new (FLUSH_SIZE + 64 * 1024);
  self->cancellable = cancellable;
  self->progress = progress;
  self->progress_data = progress_data;
}

static void
export_clear (Export *self)
{
  g_string_free (self->buf, TRUE);
  g_clear_error (&self->error);
}

gboolean
luma_csv_export_to_stream (LumaCache              *cache,
                           const LumaHistoryQuery *query,
                           GOutputStream          *out,
                           LumaCsvFlags            flags,
                           LumaCsvProgressFunc     progress,
                           gpointer                progress_data,
                           guint64                *rows_out,
                           GCancellable           *cancellable,
                           GError                **error)
{
  Export self;
  gboolean ok;

  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  export_init (&self, cancellable, progress, progress_data);
  self.stream = out;
  self.display_name = "-";

  ok = export_run (&self, cache, query, flags) &&
       g_output_stream_flush (out, cancellable, &self.error);
  if (rows_out != NULL)
    *rows_out = self.rows;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&self.error));

  export_clear (&self);
  return ok;
}

static LumaCsvFsyncFunc fsync_func = fsync;

void
_luma_csv_set_fsync_func (LumaCsvFsyncFunc func)
{
  fsync_func = func != NULL ? func : fsync;
}

/* The longest file name the folder takes, in bytes. */
static gsize
name_max (const char *dir)
{
  long n = pathconf (dir, _PC_NAME_MAX);

  return n > 0 ? (gsize) n : 255;
}

/* ".NAME.XXXXXX", NAME cut (at a character boundary) so that the whole fits
 * in @max bytes: any name the folder takes can be saved to. */
static char *
temp_name_for (const char *base,
               gsize       max)
{
  gsize len = strlen (base);
  gsize keep = max > 8 ? max - 8 : 0;

  if (len > keep)
    {
      len = keep;
      while (len > 0 && ((guchar) base[len] & 0xc0) == 0x80)
        len--;
    }
  return g_strdup_printf (".%.*s.XXXXXX", (int) len, base);
}

static gboolean
export_to_path (ExportBodyFunc       body,
                gpointer             body_data,
                const char          *path,
                LumaCsvFlags         flags,
                LumaCsvProgressFunc  progress,
                gpointer             progress_data,
                guint64             *rows_out,
                GCancellable        *cancellable,
                GError             **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_name = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *display_name = NULL;
  Export self;
  GStatBuf st;
  gsize max;
  gboolean replaced;
  gboolean ok = FALSE;
  gboolean created = FALSE;
  int dir_fd;
  int saved_errno;

  display_name = g_filename_display_name (path);
  base = g_path_get_basename (path);
  if (*path == '\0' || g_str_has_suffix (path, G_DIR_SEPARATOR_S) ||
      g_file_test (path, G_FILE_TEST_IS_DIR) ||
      strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   _("“%s” is a folder: choose a file name for the report"), display_name);
      return FALSE;
    }

  dir = g_path_get_dirname (path);
  max = name_max (dir);
  if (strlen (base) > max)
    {
      g_autofree char *display_base = g_filename_display_name (base);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   _("The file name “%s” is too long for this folder: it has %lu bytes, the "
                     "folder takes at most %lu. Choose a shorter name."),
                   display_base, (unsigned long) strlen (base), (unsigned long) max);
      return FALSE;
    }
  tmp_name = temp_name_for (base, max);
  tmp_path = g_build_filename (dir, tmp_name, NULL);

  /* A report saved over an existing file keeps that file's permissions (a
   * 0600 billing document stays private). */
  replaced = g_stat (path, &st) == 0 && S_ISREG (st.st_mode);

  export_init (&self, cancellable, progress, progress_data);
  self.display_name = display_name;

  /* 0666 less the umask, like any document the user saves. */
  self.fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (self.fd < 0)
    {
      saved_errno = errno;
      g_set_error (&self.error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create a file next to “%s”: %s"), display_name,
                   g_strerror (saved_errno));
      goto out;
    }
  created = TRUE;

  if (replaced && fchmod (self.fd, st.st_mode & 0777) != 0)
    {
      saved_errno = errno;
      g_set_error (&self.error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not save “%s”: %s"), display_name, g_strerror (saved_errno));
      goto out;
    }

  self.writer = file_writer_new (self.fd);
  if (!body (&self, body_data, flags) || !export_end_writes (&self))
    goto out;

  /* On disk before it takes the name, so a crash cannot leave an empty or
   * partial file under it either. */
  if (fsync_func (self.fd) != 0 && errno != EINVAL)
    {
      saved_errno = errno;
      g_set_error (&self.error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write “%s”: %s"), display_name, g_strerror (saved_errno));
      goto out;
    }
  if (close (self.fd) != 0)
    {
      saved_errno = errno;
      self.fd = -1;
      g_set_error (&self.error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write “%s”: %s"), display_name, g_strerror (saved_errno));
      goto out;
    }
  self.fd = -1;

  if (g_rename (tmp_path, path) != 0)
    {
      saved_errno = errno;
      g_set_error (&self.error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not save “%s”: %s"), display_name, g_strerror (saved_errno));
      goto out;
    }
  created = FALSE;

  /* The new name is on disk only once the folder is: without this, a crash
   * soon after can bring back the old file, or no file at all. A folder that
   * cannot be opened (no read permission) is not synced. */
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      int r = fsync_func (dir_fd);

      saved_errno = errno;
      close (dir_fd);
      if (r != 0 && saved_errno != EINVAL)
        {
          g_set_error (&self.error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("“%s” was saved, but its folder could not be written to disk: %s"),
                       display_name, g_strerror (saved_errno));
          goto out;
        }
    }

  ok = TRUE;

out:
  /* Before the file is closed and removed. */
  export_end_writes (&self);
  if (self.fd >= 0)
    close (self.fd);
  if (!ok && created)
    g_unlink (tmp_path);
  if (rows_out != NULL)
    *rows_out = ok ? self.rows : 0;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&self.error));

  export_clear (&self);
  return ok;
}

gboolean
luma_csv_export_to_path (LumaCache              *cache,
                         const LumaHistoryQuery *query,
                         const char             *path,
                         LumaCsvFlags            flags,
                         LumaCsvProgressFunc     progress,
                         gpointer                progress_data,
                         guint64                *rows_out,
                         GCancellable           *cancellable,
                         GError                **error)
{
  HistoryBody body = { cache, query };

  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return export_to_path (history_body, &body, path, flags, progress, progress_data, rows_out,
                         cancellable, error);
}

static gboolean
contents_body (Export       *self,
               gpointer      run_data,
               LumaCsvFlags  flags)
{
  GBytes *contents = run_data;
  gsize len;
  const char *data = g_bytes_get_data (contents, &len);

  if (g_cancellable_set_error_if_cancelled (self->cancellable, &self->error))
    return FALSE;
  g_string_append_len (self->buf, data, len);
  return export_flush (self);
}

gboolean
luma_csv_save_to_path (const char    *path,
                       GBytes        *contents,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return export_to_path (contents_body, contents, path, 0, NULL, NULL, NULL, cancellable, error);
}

static void
save_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GBytes *contents = task_data;
  g_autofree char *path = g_file_get_path (G_FILE (source));
  GError *error = NULL;

  if (luma_csv_save_to_path (path, contents, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
luma_csv_save_async (GFile               *target,
                     GBytes              *contents,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (G_IS_FILE (target));
  g_return_if_fail (contents != NULL);

  task = g_task_new (target, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_csv_save_async);
  path = g_file_get_path (target);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (target);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Cannot save “%s”: choose a folder on this computer"), uri);
      return;
    }
  g_task_set_task_data (task, g_bytes_ref (contents), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, save_thread);
}

gboolean
luma_csv_save_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Tables: the tenants board, the purchase history ------------------------------------------ */

gboolean
luma_csv_write_table_to_path (const char         *path,
                              const char * const *header,
                              guint               n_columns,
                              GPtrArray          *rows,
                              const gboolean     *numeric,
                              LumaCsvFlags        flags,
                              guint64            *rows_out,
                              GError            **error)
{
  TableBody body = { header, n_columns, rows, numeric };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (header != NULL && rows != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return export_to_path (table_body, &body, path, flags, NULL, NULL, rows_out, NULL, error);
}

gboolean
luma_csv_write_table_to_stream (GOutputStream      *out,
                                const char * const *header,
                                guint               n_columns,
                                GPtrArray          *rows,
                                const gboolean     *numeric,
                                LumaCsvFlags        flags,
                                guint64            *rows_out,
                                GError            **error)
{
  TableBody body = { header, n_columns, rows, numeric };
  Export self;
  gboolean ok;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (header != NULL && rows != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  export_init (&self, NULL, NULL, NULL);
  self.stream = out;
  self.display_name = "-";
  ok = table_body (&self, &body, flags) && g_output_stream_flush (out, NULL, &self.error);
  if (rows_out != NULL)
    *rows_out = self.rows;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&self.error));
  export_clear (&self);
  return ok;
}

/* ---- Async: a worker thread, progress relayed to the caller's context ---------------------- */

typedef struct
{
  gatomicrefcount      ref;
  GMainContext        *context;
  LumaCsvProgressFunc  func;
  gpointer             data;
  GDestroyNotify       notify;
  GMutex               mutex;
  guint64              written;
  guint64              total;
  gint                 pending;     /* atomic: a dispatch is queued */
  gint64               last_post;   /* worker thread only */
} ProgressRelay;

static ProgressRelay *
progress_relay_ref (ProgressRelay *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

static gboolean
progress_relay_notify_cb (gpointer user_data)
{
  ProgressRelay *self = user_data;

  self->notify (self->data);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->mutex);
  g_free (self);
  return G_SOURCE_REMOVE;
}

static void
progress_relay_unref (gpointer data)
{
  ProgressRelay *self = data;

  if (!g_atomic_ref_count_dec (&self->ref))
    return;

  /* Free the caller's data in the caller's context, whichever thread
   * dropped the last reference. */
  if (self->notify != NULL)
    {
      g_main_context_invoke (self->context, progress_relay_notify_cb, self);
      return;
    }

  g_main_context_unref (self->context);
  g_mutex_clear (&self->mutex);
  g_free (self);
}

static gboolean
progress_relay_dispatch_cb (gpointer user_data)
{
  ProgressRelay *self = user_data;
  guint64 written, total;

  g_atomic_int_set (&self->pending, 0);
  g_mutex_lock (&self->mutex);
  written = self->written;
  total = self->total;
  g_mutex_unlock (&self->mutex);

  self->func (written, total, self->data);
  return G_SOURCE_REMOVE;
}

/* Runs in the worker thread. */
static void
progress_relay_post (guint64  written,
                     guint64  total,
                     gpointer user_data)
{
  ProgressRelay *self = user_data;
  gint64 now = g_get_monotonic_time ();

  /* At most ten a second, but always the first and the last. */
  if (written != 0 && written != total && now - self->last_post < G_USEC_PER_SEC / 10)
    return;
  self->last_post = now;

  g_mutex_lock (&self->mutex);
  self->written = written;
  self->total = total;
  g_mutex_unlock (&self->mutex);

  if (g_atomic_int_compare_and_exchange (&self->pending, 0, 1))
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, progress_relay_dispatch_cb, progress_relay_ref (self),
                             progress_relay_unref);
      g_source_set_static_name (source, "[luma-csv] progress");
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

typedef struct
{
  LumaCache        *cache;
  LumaHistoryQuery *query;
  char             *path;
  LumaCsvFlags      flags;
  ProgressRelay    *relay;
  guint64           rows;
} ExportTaskData;

static void
export_task_data_free (gpointer data)
{
  ExportTaskData *td = data;

  g_clear_object (&td->cache);
  g_clear_pointer (&td->query, luma_history_query_free);
  g_free (td->path);
  g_clear_pointer (&td->relay, progress_relay_unref);
  g_free (td);
}

static void
export_thread_cb (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ExportTaskData *td = task_data;
  GError *error = NULL;

  if (luma_csv_export_to_path (td->cache, td->query, td->path, td->flags,
                               td->relay != NULL ? progress_relay_post : NULL, td->relay,
                               &td->rows, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
luma_csv_export_async (LumaCache              *cache,
                       const LumaHistoryQuery *query,
                       GFile                  *target,
                       LumaCsvFlags            flags,
                       LumaCsvProgressFunc     progress,
                       gpointer                progress_data,
                       GDestroyNotify          progress_notify,
                       GCancellable           *cancellable,
                       GAsyncReadyCallback     callback,
                       gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportTaskData *td;

  g_return_if_fail (LUMA_IS_CACHE (cache));
  g_return_if_fail (query != NULL);
  g_return_if_fail (G_IS_FILE (target));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_csv_export_async);
  g_task_set_name (task, "[luma-csv] export");
  /* The result says what happened to the file: a cancel that comes after the
   * rename is too late and must not report a saved file as cancelled. */
  g_task_set_check_cancellable (task, FALSE);

  td = g_new0 (ExportTaskData, 1);
  td->cache = g_object_ref (cache);
  td->query = luma_history_query_copy (query);
  td->path = g_file_get_path (target);
  td->flags = flags;
  if (progress != NULL)
    {
      td->relay = g_new0 (ProgressRelay, 1);
      g_atomic_ref_count_init (&td->relay->ref);
      td->relay->context = g_main_context_ref_thread_default ();
      td->relay->func = progress;
      td->relay->data = progress_data;
      td->relay->notify = progress_notify;
      g_mutex_init (&td->relay->mutex);
    }
  else if (progress_notify != NULL)
    {
      progress_notify (progress_data);
    }
  g_task_set_task_data (task, td, export_task_data_free);

  if (td->path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (target);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Cannot save the report to “%s”: choose a folder on this computer"),
                               uri);
      return;
    }

  g_task_run_in_thread (task, export_thread_cb);
}

gboolean
luma_csv_export_finish (GAsyncResult  *result,
                        guint64       *rows_out,
                        GError       **error)
{
  ExportTaskData *td;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_csv_export_async, FALSE);

  td = g_task_get_task_data (G_TASK (result));
  if (rows_out != NULL)
    *rows_out = td->rows;

  return g_task_propagate_boolean (G_TASK (result), error);
}

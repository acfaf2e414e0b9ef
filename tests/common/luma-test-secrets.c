/* luma-test-secrets.c: look for secrets in what a test captured and in the files left behind
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "luma-test-secrets.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

typedef struct
{
  char *name;
  char *plain;
  char *base64;
} Secret;

struct _LumaTestSecrets
{
  GPtrArray *secrets;  /* Secret* */
};

static void
secret_free (Secret *s)
{
  g_free (s->name);
  g_free (s->plain);
  g_free (s->base64);
  g_free (s);
}

LumaTestSecrets *
luma_test_secrets_new (void)
{
  LumaTestSecrets *self = g_new0 (LumaTestSecrets, 1);

  self->secrets = g_ptr_array_new_with_free_func ((GDestroyNotify) secret_free);
  return self;
}

void
luma_test_secrets_free (LumaTestSecrets *self)
{
  g_ptr_array_unref (self->secrets);
  g_free (self);
}

void
luma_test_secrets_add (LumaTestSecrets *self,
                       const char      *name,
                       const char      *value)
{
  Secret *s = g_new0 (Secret, 1);
  g_autofree char *b64 = g_base64_encode ((const guchar *) value, strlen (value));
  gsize len = strlen (b64);

  s->name = g_strdup (name);
  s->plain = g_strdup (value);
  /* Without the padding and the last characters, which depend on what follows the secret. */
  while (len > 0 && b64[len - 1] == '=')
    len--;
  s->base64 = g_strndup (b64, len > 4 ? len - 4 : len);
  g_ptr_array_add (self->secrets, s);
}

void
luma_test_secrets_add_bearer_tokens (LumaTestSecrets *self,
                                     LumaTestSandbox *sandbox,
                                     const char      *user,
                                     const char      *password)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sandbox), "/platform/login", NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *json = NULL;
  g_autoptr(LumaTestResponse) login = NULL;
  g_auto(GStrv) segments = NULL;
  g_autofree char *head = NULL;
  const char *token;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, user);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  json = json_to_string (body, FALSE);

  login = luma_test_requestv ("POST", url, json, NULL, 0);
  luma_test_assert_response (login, 200, NULL);
  token = json_object_get_string_member (luma_test_response_get_result (login), "token");
  g_assert_nonnull (token);
  segments = g_strsplit (token, ".", 2);
  g_assert_nonnull (segments[0]);
  /* A short segment would be found by chance. */
  g_assert_cmpuint (strlen (segments[0]), >=, 8);
  head = g_strconcat (segments[0], ".", NULL);

  luma_test_secrets_add (self, "bearer token of the test", token);
  luma_test_secrets_add (self, "first segment of every bearer token", head);
}

/* Where @needle starts in @data, or NULL; NUL bytes do not end @data (files are binary). */
static const guint8 *
find_bytes (const void *data,
            gsize       len,
            const char *needle)
{
  gsize n = strlen (needle);
  const guint8 *p = data;

  if (n == 0 || n > len)
    return NULL;
  for (gsize i = 0; i + n <= len; i++)
    if (p[i] == (guint8) needle[0] && memcmp (p + i, needle, n) == 0)
      return p + i;
  return NULL;
}

gboolean
luma_test_bytes_contain (const void *data,
                         gsize       len,
                         const char *needle)
{
  return find_bytes (data, len, needle) != NULL;
}

void
luma_test_secrets_assert_absent (LumaTestSecrets *self,
                                 const char      *where,
                                 const void      *data,
                                 gsize            len)
{
  for (guint i = 0; i < self->secrets->len; i++)
    {
      Secret *s = g_ptr_array_index (self->secrets, i);
      const guint8 *hit = find_bytes (data, len, s->plain);

      if (hit != NULL)
        {
          /* Where it came from is easier to find with what surrounds it. */
          if (g_getenv ("LUMA_SECRETS_DEBUG") != NULL)
            {
              gsize at = hit - (const guint8 *) data;
              gsize from = at > 300 ? at - 300 : 0;

              g_test_message ("context: %.*s", (int) MIN (600, len - from), (const char *) data + from);
            }
          g_test_fail_printf ("the %s is in %s", s->name, where);
        }
      else if (strlen (s->base64) >= 8 && luma_test_bytes_contain (data, len, s->base64))
        {
          g_test_fail_printf ("the %s is in %s, base64-encoded", s->name, where);
        }
    }
}

guint
luma_test_secrets_scan_tree (LumaTestSecrets *self,
                             const char      *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          n_files += luma_test_secrets_scan_tree (self, path);
        }
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *contents = NULL;
          gsize len = 0;
          g_autoptr(GError) error = NULL;

          g_file_get_contents (path, &contents, &len, &error);
          g_assert_no_error (error);
          luma_test_secrets_assert_absent (self, path, contents, len);
          n_files++;
        }
    }
  return n_files;
}

guint
luma_test_secrets_scan_user_dirs (LumaTestSecrets *self)
{
  const char *home = g_get_home_dir ();
  const char *dirs[] = {
    g_get_user_cache_dir (), g_get_user_config_dir (), g_get_user_data_dir (),
    g_get_user_state_dir (),
  };
  guint n_files = luma_test_secrets_scan_tree (self, home);

  /* A folder inside the home folder was read with it. */
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (!g_str_has_prefix (dirs[i], home))
      n_files += luma_test_secrets_scan_tree (self, dirs[i]);
  g_test_message ("%u files scanned", n_files);
  return n_files;
}

static void
assert_private_modes (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;
  struct stat st;
  guint n_files = 0;

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  if ((st.st_mode & 0777) != 0700)
    g_test_fail_printf ("the cache folder %s has mode %03o, not 700", dir, st.st_mode & 0777);

  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          assert_private_modes (path);
          continue;
        }
      n_files++;
      if ((st.st_mode & 0777) != 0600)
        g_test_fail_printf ("the cache file %s has mode %03o, not 600", path, st.st_mode & 0777);
    }
  g_test_message ("%s: %u files checked", dir, n_files);
}

void
luma_test_assert_private_cache (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "luma-subscription", NULL);

  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  assert_private_modes (dir);
}

/* ---- Capturing log messages and output ------------------------------------------------------ */

/* One log writer per process, so one capture: the state is global. */
static GByteArray *captured;
static GMutex captured_lock;
static gboolean capturing;

void
luma_test_capture_append (const char *label,
                          const void *data,
                          gsize       len)
{
  g_mutex_lock (&captured_lock);
  if (capturing)
    {
      if (label != NULL)
        g_byte_array_append (captured, (const guint8 *) label, strlen (label));
      g_byte_array_append (captured, data, len);
    }
  g_mutex_unlock (&captured_lock);
}

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      gsize len = fields[i].length < 0 ? strlen (fields[i].value) : (gsize) fields[i].length;

      luma_test_capture_append ("\n", fields[i].key, strlen (fields[i].key));
      luma_test_capture_append ("=", fields[i].value, len);
    }

  /* Keep the test's own output quiet, but never hide a warning. */
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (log_level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

void
luma_test_capture_install (void)
{
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_mutex_lock (&captured_lock);
  if (captured == NULL)
    captured = g_byte_array_new ();
  g_mutex_unlock (&captured_lock);
  g_log_set_writer_func (capture_writer, NULL, NULL);
}

static void
set_capturing (gboolean on)
{
  g_mutex_lock (&captured_lock);
  g_assert_nonnull (captured);
  capturing = on;
  g_mutex_unlock (&captured_lock);
}

void
luma_test_capture_start (void)
{
  set_capturing (TRUE);
}

void
luma_test_capture_stop (void)
{
  set_capturing (FALSE);
}

GBytes *
luma_test_capture_get (void)
{
  GBytes *bytes;

  g_mutex_lock (&captured_lock);
  bytes = g_bytes_new (captured->data, captured->len);
  g_mutex_unlock (&captured_lock);
  return bytes;
}

/* luma-cache-worker.c: the writer thread and the pool of read connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One writer thread owns the write connection and runs jobs in order; reads
 * use read-only connections (WAL lets them run during a write): a pool for
 * queries in worker threads and one reserved connection for the main
 * thread's fetch-by-ids (luma-cache-history.c).
 */

#include "config.h"

#include "luma-cache-private.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* After this long without a job the writer gives its cache back: a sync
 * commits more often than that, and after it the pages only sit idle. */
#define WRITER_IDLE_RELEASE_US (2 * G_USEC_PER_SEC)

/* Freed SQLite pages and id arrays leave holes in glibc's heaps that stay
 * resident (RssAnon) until trimmed; called when the cache goes idle. */
static void
trim_heap (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

/* ---- Writer thread -------------------------------------------------------------------------- */

static gboolean
unref_task_idle_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static gboolean
run_job (LumaCache          *self,
         LumaCacheWriteJob  *job,
         GError            **error)
{
  gpointer data = job->task != NULL ? g_task_get_task_data (job->task) : job->data;
  GCancellable *cancellable = job->task != NULL ? g_task_get_cancellable (job->task) : NULL;

  if (!(job->flags & LUMA_CACHE_JOB_TRANSACTION))
    return job->func (self, data, job, cancellable, error);

  if (!_luma_cache_begin (self, error))
    return FALSE;
  if (!job->func (self, data, job, cancellable, error))
    {
      _luma_cache_rollback (self);
      return FALSE;
    }
  return _luma_cache_commit (self, error);
}

/* Hands @job back, @error taken (NULL when @ok): to its task, whose
 * reference goes in the task's context, or to the caller blocked in
 * _luma_cache_run_write(). */
static void
complete_job (LumaCacheWriteJob *job,
              gboolean           ok,
              GError            *error)
{
  if (job->task != NULL)
    {
      GTask *task = job->task;

      /* The main context may drop its reference before this thread
       * does: this unref can be the last one (see writer_thread()). */
      if (ok)
        g_task_return_int (task, job->n_new);
      else
        g_task_return_error (task, error);
      g_main_context_invoke (g_task_get_context (task), unref_task_idle_cb, task);
      g_free (job);
    }
  else
    {
      g_mutex_lock (job->lock);
      job->ok = ok;
      job->error = error;
      job->done = TRUE;
      g_cond_signal (job->cond);
      g_mutex_unlock (job->lock);
    }
}

/* Hands @job back without running it: the cache closed first. */
static void
refuse_job (LumaCacheWriteJob *job)
{
  if (job->quit)
    {
      g_free (job);
      return;
    }
  complete_job (job, FALSE, g_error_new_literal (LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED,
                                                 "The cache is closed"));
}

/* What is left behind the quit job: a step of a long job that requeued
 * itself (the index build) or a write that slipped in while the cache was
 * closing. Each ends with LUMA_CACHE_ERROR_CLOSED, so no task, and with it
 * no reference to the cache, is left waiting forever. */
static void
refuse_remaining (GAsyncQueue *jobs)
{
  LumaCacheWriteJob *job;

  while ((job = g_async_queue_try_pop (jobs)) != NULL)
    refuse_job (job);
}

static gpointer
writer_thread (gpointer data)
{
  LumaCache *self = data;
  /* g_main_context_invoke() runs the unref right here when nobody owns the
   * context, so the cache may be disposed and finalized on this thread
   * (luma_cache_close() then queues the quit job): never touch @self again
   * after such an unref, and keep the queue alive on our own reference. */
  g_autoptr(GAsyncQueue) jobs = g_async_queue_ref (self->jobs);
  gboolean cache_warm = FALSE;

  for (;;)
    {
      LumaCacheWriteJob *job;
      GError *error = NULL;
      gboolean ok;

      /* Idle: the cache is still open, as luma_cache_close() queues the
       * quit job before it frees anything. */
      if (cache_warm)
        {
          job = g_async_queue_timeout_pop (jobs, WRITER_IDLE_RELEASE_US);
          if (job == NULL)
            {
              sqlite3_db_release_memory (self->wdb->db);
              trim_heap ();
              cache_warm = FALSE;
              continue;
            }
        }
      else
        job = g_async_queue_pop (jobs);

      if (job->quit)
        {
          g_free (job);
          refuse_remaining (jobs);
          break;
        }

      job->requeue = FALSE;
      if (job->task != NULL &&
          g_cancellable_set_error_if_cancelled (g_task_get_cancellable (job->task), &error))
        {
          complete_job (job, FALSE, error);
          continue;
        }

      ok = run_job (self, job, &error);
      cache_warm = TRUE;

      if (ok && job->requeue)
        {
          /* Behind the quit job when the cache is closing: refused there. */
          g_async_queue_push (jobs, job);
          continue;
        }

      complete_job (job, ok, error);
    }
  return NULL;
}

void
_luma_cache_start_writer (LumaCache *self)
{
  self->writer = g_thread_new ("luma-cache-writer", writer_thread, self);
}

/* Queued behind every write, so those finish first. */
void
_luma_cache_stop_writer (LumaCache *self)
{
  LumaCacheWriteJob *quit;

  if (self->writer == NULL)
    return;
  quit = g_new0 (LumaCacheWriteJob, 1);
  quit->quit = TRUE;
  g_async_queue_push (self->jobs, quit);
  if (g_thread_self () != self->writer)
    {
      g_thread_join (self->writer);
      /* Queued after the writer had gone. */
      refuse_remaining (self->jobs);
    }
  else
    g_thread_unref (self->writer);
  self->writer = NULL;
}

gboolean
_luma_cache_check_open (LumaCache  *self,
                        GError    **error)
{
  if (g_atomic_int_get (&self->closed))
    {
      g_set_error_literal (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED,
                           "The cache is closed");
      return FALSE;
    }
  return TRUE;
}

gboolean
_luma_cache_run_write (LumaCache           *self,
                       LumaCacheWriteFunc   func,
                       gpointer             data,
                       LumaCacheJobFlags    flags,
                       gint64              *n_out,
                       GError             **error)
{
  LumaCacheWriteJob job = { 0 };
  GMutex lock;
  GCond cond;

  if (!_luma_cache_check_open (self, error))
    return FALSE;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  job.func = func;
  job.data = data;
  job.flags = flags;
  job.lock = &lock;
  job.cond = &cond;

  g_async_queue_push (self->jobs, &job);
  g_mutex_lock (&lock);
  while (!job.done)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);

  if (n_out != NULL)
    *n_out = job.n_new;
  if (!job.ok)
    {
      g_propagate_error (error, job.error);
      return FALSE;
    }
  return TRUE;
}

void
_luma_cache_run_write_async (LumaCache           *self,
                             LumaCacheWriteFunc   func,
                             gpointer             data,
                             GDestroyNotify       data_free,
                             LumaCacheJobFlags    flags,
                             gpointer             source_tag,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  LumaCacheWriteJob *job;
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, data_free);

  if (!_luma_cache_check_open (self, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  job = g_new0 (LumaCacheWriteJob, 1);
  job->func = func;
  job->flags = flags;
  job->task = task;
  g_async_queue_push (self->jobs, job);
}

gboolean
_luma_cache_finish_write (LumaCache     *self,
                          GAsyncResult  *result,
                          gint64        *n_out,
                          GError       **error)
{
  GError *local = NULL;
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  n = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (n_out != NULL)
    *n_out = n;
  return TRUE;
}

/* ---- Read connections ----------------------------------------------------------------------- */

LumaCacheDb *
_luma_cache_pool_acquire (LumaCache     *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  LumaCacheDb *db = NULL;

  if (!_luma_cache_check_open (self, error))
    return NULL;

  g_mutex_lock (&self->pool_lock);
  if (self->pool->len > 0)
    db = g_ptr_array_steal_index_fast (self->pool, self->pool->len - 1);
  g_mutex_unlock (&self->pool_lock);

  if (db == NULL)
    db = _luma_cache_db_open_read (self->path, error);
  if (db != NULL)
    {
      db->cancellable = cancellable;
      g_atomic_int_inc (&self->busy_readers);
    }
  return db;
}

void
_luma_cache_pool_release (LumaCache   *self,
                          LumaCacheDb *db)
{
  if (db == NULL)
    return;
  db->cancellable = NULL;
  /* Idle, its cache is only heap: the next commit would empty it anyway. */
  sqlite3_db_release_memory (db->db);
  g_mutex_lock (&self->pool_lock);
  if (!g_atomic_int_get (&self->closed) && self->pool->len < 4)
    {
      g_ptr_array_add (self->pool, db);
      db = NULL;
    }
  g_mutex_unlock (&self->pool_lock);
  _luma_cache_db_free (db);
  /* The last busy reader: the sorter runs of its query and the result
   * arrays callers have dropped since are free memory now. Not on the
   * thread that runs the opener's main loop (a window): it takes a few
   * milliseconds at times. */
  if (g_atomic_int_dec_and_test (&self->busy_readers) &&
      !g_main_context_is_owner (self->context))
    trim_heap ();
}

/* ---- Test hooks ----------------------------------------------------------------------------- */

static gboolean
hold_func (LumaCache          *self,
           gpointer            data,
           LumaCacheWriteJob  *job,
           GCancellable       *cancellable,
           GError            **error)
{
  g_usleep ((gulong) GPOINTER_TO_UINT (data) * 1000);
  return TRUE;
}

void
luma_cache_hold_writer (LumaCache *self,
                        guint      msec)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  _luma_cache_run_write_async (self, hold_func, GUINT_TO_POINTER (msec), NULL, LUMA_CACHE_JOB_NONE,
                               luma_cache_hold_writer, NULL, NULL, NULL);
}

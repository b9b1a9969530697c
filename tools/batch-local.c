/* facerec-batch: the local run. Spawns facerec-annotate per file, N at a time,
 * reads its --progress lines, kills it at the file's deadline, renames the
 * outputs into place on success and records every result (status files). A
 * Slurm task runs the same code on its shard. */
#include "batch.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  GPtrArray *jobs;
  guint next, running, done, jobs_max;
  const gchar *annotate;
  const BatchOptions *o;
  gboolean tty;
  GMainLoop *loop;
  const gchar *run;             /* "local", or the Slurm job id of a task */
  gint task;                    /* the shard of a Slurm task, else -1 */
  gchar *progress_path;         /* a task's progress file, read by the submitter */
  gint64 progress_written_us;
  gboolean status_warned;
  gint stopping;                /* the signal that stops the run (SIGINT, SIGTERM), or 0 */
} Batch;

/* A task's progress for the submitter: "DONE TOTAL", then "INDEX FRACTION" per
 * running file (INDEX in the whole list). At most once a second unless forced. */
static void
write_progress (Batch * b, gboolean force)
{
  GString *s;
  gint64 now = g_get_monotonic_time ();
  if (!b->progress_path || (!force && now - b->progress_written_us < G_USEC_PER_SEC))
    return;
  b->progress_written_us = now;
  s = g_string_new (NULL);
  g_string_append_printf (s, "%u %u\n", b->done, b->jobs->len);
  for (guint i = 0; i < b->jobs->len; i++) {
    Job *j = g_ptr_array_index (b->jobs, i);
    if (j->state == JOB_RUNNING)
      g_string_append_printf (s, "%u %.3f\n", j->index, j->progress);
  }
  g_file_set_contents_full (b->progress_path, s->str, (gssize) s->len,
      G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL);
  g_string_free (s, TRUE);
}

static void
show_progress (Batch * b, Job * j)
{
  gint step = (gint) (j->progress * 4);       /* quarters when not on a terminal */
  if (b->tty) {
    fprintf (stderr, "\r[%u/%u done] %s: %3.0f%%   ", b->done, b->jobs->len, j->name,
        100.0 * j->progress);
  } else if (step > j->last_shown) {
    j->last_shown = step;
    fprintf (stderr, "[%u/%u done] %s: %3.0f%%\n", b->done, b->jobs->len, j->name,
        100.0 * j->progress);
  }
  write_progress (b, FALSE);
}

static void
record (Batch * b, Job * j)
{
  GError *err = NULL;
  if (!status_write (b->o->outdir, j, b->run, b->task, &err) && !b->status_warned) {
    fprintf (stderr, "facerec-batch: warning: cannot record the result of %s: %s\n", j->name,
        err->message);
    b->status_warned = TRUE;
  }
  g_clear_error (&err);
}

static void start_jobs (Batch * b);

static void
finish_job (Batch * b, Job * j)
{
  j->end_us = g_get_monotonic_time ();
  j->seconds = (j->end_us - j->start_us) / 1e6;
  if (j->interrupted) {
    j->state = JOB_FAILED;
    j->reason = g_strdup_printf ("interrupted (%s)", b->stopping == SIGINT ? "SIGINT" : "SIGTERM");
  } else if (j->timed_out) {
    j->state = JOB_FAILED;
    j->reason = g_strdup_printf ("timed out after %.0f s (%s)",
        (j->deadline_us - j->start_us) / 1e6, b->o->timeout > 0 ? "--timeout"
        : "the default, 120 s + 10x its length; --timeout SEC to change");
  } else if (g_spawn_check_wait_status (j->status, NULL)) {
    /* the resume test looks at the video and the JSONL: they come last */
    if (g_rename (j->tmp_summary, j->out_summary) == 0 && g_rename (j->tmp_video, j->out_video) == 0
        && g_rename (j->tmp_jsonl, j->out_jsonl) == 0) {
      j->state = JOB_OK;
    } else {
      j->state = JOB_FAILED;
      j->reason = g_strdup_printf ("cannot rename the outputs into %s", j->out_video);
    }
  } else {
    j->state = JOB_FAILED;
    j->reason = g_strdup (j->last_line ? j->last_line : "facerec-annotate failed");
  }
  if (j->state == JOB_FAILED) {
    g_unlink (j->tmp_video);
    g_unlink (j->tmp_jsonl);
    g_unlink (j->tmp_summary);
  }
  record (b, j);
  b->running--;
  b->done++;
  if (b->tty)
    fprintf (stderr, "\r\033[K");
  fprintf (stderr, "[%u/%u done] %s: %s%s%s\n", b->done, b->jobs->len, j->name,
      j->state == JOB_OK ? "ok" : "FAILED", j->reason ? ": " : "", j->reason ? j->reason : "");
  write_progress (b, TRUE);
  start_jobs (b);
}

static gboolean
on_stderr (GIOChannel * ch, GIOCondition cond, gpointer user_data)
{
  gpointer *pair = user_data;
  Batch *b = pair[0];
  Job *j = pair[1];
  gchar *line = NULL;
  gsize len;
  GIOStatus st;
  (void) cond;

  st = g_io_channel_read_line (ch, &line, &len, NULL, NULL);
  if (st == G_IO_STATUS_NORMAL && line) {
    g_strchomp (line);
    if (g_str_has_prefix (line, "progress ")) {
      j->progress = g_ascii_strtod (line + 9, NULL);
      show_progress (b, j);
    } else if (g_str_has_prefix (line, "length ")) {
      /* the length to process is known once the file has prerolled */
      gdouble len_s = g_ascii_strtod (line + 7, NULL);
      if (b->o->timeout < 0)
        j->deadline_us = len_s > 0 ? j->start_us + (gint64) ((TIMEOUT_STARTUP_S
                + TIMEOUT_PER_SECOND * len_s) * G_USEC_PER_SEC) : G_MAXINT64;
    } else if (g_str_has_prefix (line, "stats ")) {
      guint64 fwf = 0;
      sscanf (line + 6, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
          " %" G_GUINT64_FORMAT, &j->frames, &fwf, &j->faces, &j->unknown);
    } else if (g_str_has_prefix (line, "name ")) {
      gchar **parts = g_strsplit (line + 5, " ", 2);
      if (parts[0] && parts[1])
        g_string_append_printf (j->names, "%s%s", j->names->len ? ", " : "", parts[1]);
      g_strfreev (parts);
    } else if (g_str_has_prefix (line, "facerec-annotate: ")) {
      /* the tool's own error line names the file and the cause */
      g_free (j->last_line);
      j->last_line = g_strdup (line + strlen ("facerec-annotate: "));
    } else if (*line && !j->last_line) {
      j->last_line = g_strdup (line);
    }
    g_free (line);
    return G_SOURCE_CONTINUE;
  }
  g_free (line);
  if (st == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  j->eof = TRUE;
  if (j->exited)
    finish_job (b, j);
  g_free (pair);
  return G_SOURCE_REMOVE;
}

static void
on_child_exit (GPid pid, gint status, gpointer user_data)
{
  gpointer *pair = user_data;
  Batch *b = pair[0];
  Job *j = pair[1];
  g_spawn_close_pid (pid);
  j->status = status;
  j->exited = TRUE;
  if (j->eof)
    finish_job (b, j);
  g_free (pair);
}

/* Once a second: kill what ran past its deadline (a hung file must not stall
 * the batch). SIGKILL: its outputs are temporary files, removed on exit. */
static gboolean
check_deadlines (gpointer user_data)
{
  Batch *b = user_data;
  gint64 now = g_get_monotonic_time ();
  for (guint i = 0; i < b->jobs->len; i++) {
    Job *j = g_ptr_array_index (b->jobs, i);
    if (j->state == JOB_RUNNING && !j->exited && !j->timed_out && now >= j->deadline_us) {
      j->timed_out = TRUE;
      kill (j->pid, SIGKILL);
    }
  }
  return G_SOURCE_CONTINUE;
}

/* SIGINT/SIGTERM (Ctrl-C, scancel): stop the files in progress (their temporary
 * outputs are removed and their status says "interrupted"), start no more. */
static gboolean
on_signal (gpointer user_data)
{
  gpointer *pair = user_data;
  Batch *b = pair[0];
  b->stopping = GPOINTER_TO_INT (pair[1]);
  for (guint i = 0; i < b->jobs->len; i++) {
    Job *j = g_ptr_array_index (b->jobs, i);
    if (j->state == JOB_RUNNING && !j->exited) {
      j->interrupted = TRUE;
      kill (j->pid, SIGKILL);
    }
  }
  if (b->running == 0)
    g_main_loop_quit (b->loop);
  return G_SOURCE_CONTINUE;
}

static void
start_jobs (Batch * b)
{
  while (!b->stopping && b->running < b->jobs_max && b->next < b->jobs->len) {
    Job *j = g_ptr_array_index (b->jobs, b->next++);
    GPtrArray *argv;
    GError *err = NULL;
    gint err_fd;
    GIOChannel *ch;
    gpointer *p1, *p2;
    gchar dur[32];

    if (j->state != JOB_WAITING)
      continue;
    argv = g_ptr_array_new ();
    g_ptr_array_add (argv, (gpointer) b->annotate);
    g_ptr_array_add (argv, j->input);
    g_ptr_array_add (argv, (gpointer) "-m");
    g_ptr_array_add (argv, b->o->model);
    g_ptr_array_add (argv, (gpointer) "-o");
    g_ptr_array_add (argv, j->tmp_video);
    g_ptr_array_add (argv, (gpointer) "--jsonl");
    g_ptr_array_add (argv, j->tmp_jsonl);
    g_ptr_array_add (argv, (gpointer) "--summary-image");
    g_ptr_array_add (argv, j->tmp_summary);
    g_ptr_array_add (argv, (gpointer) "--summary-data");
    g_ptr_array_add (argv, j->sightings);
    /* the temporary names are ours: annotate writes them as they are */
    g_ptr_array_add (argv, (gpointer) "--direct");
    g_ptr_array_add (argv, (gpointer) "--progress");
    g_ptr_array_add (argv, (gpointer) "-q");
    if (b->o->duration > 0) {
      g_ascii_dtostr (dur, sizeof dur, b->o->duration);
      g_ptr_array_add (argv, (gpointer) "--duration");
      g_ptr_array_add (argv, dur);
    }
    g_ptr_array_add (argv, NULL);
    j->start_us = g_get_monotonic_time ();
    if (b->o->timeout > 0)
      j->deadline_us = j->start_us + (gint64) b->o->timeout * G_USEC_PER_SEC;
    else if (b->o->timeout < 0)         /* until its length is known */
      j->deadline_us = j->start_us + (gint64) TIMEOUT_STARTUP_S *G_USEC_PER_SEC;
    if (!g_spawn_async_with_pipes (NULL, (gchar **) argv->pdata, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &j->pid, NULL, NULL, &err_fd, &err)) {
      j->state = JOB_FAILED;
      j->reason = g_strdup_printf ("cannot run %s: %s", b->annotate, err->message);
      g_clear_error (&err);
      b->done++;
      record (b, j);
      g_ptr_array_free (argv, TRUE);
      continue;
    }
    g_ptr_array_free (argv, TRUE);
    j->state = JOB_RUNNING;
    b->running++;
    p1 = g_new (gpointer, 2);
    p1[0] = b;
    p1[1] = j;
    p2 = g_memdup2 (p1, sizeof (gpointer) * 2);
    ch = g_io_channel_unix_new (err_fd);
    g_io_channel_set_close_on_unref (ch, TRUE);
    g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stderr, p1);
    g_io_channel_unref (ch);
    g_child_watch_add (j->pid, on_child_exit, p2);
  }
  write_progress (b, TRUE);
  if (b->running == 0 && (b->next >= b->jobs->len || b->stopping))
    g_main_loop_quit (b->loop);
}

static gchar *
find_annotate (const gchar * argv0)
{
  gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  gchar *dir = g_path_get_dirname (self ? self : argv0);
  gchar *path = g_build_filename (dir, "facerec-annotate", NULL);
  g_free (self);
  g_free (dir);
  if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    return path;
  g_free (path);
  return g_find_program_in_path ("facerec-annotate");
}

/* A Slurm task: say at once that it runs and can write to OUT (the submitter
 * reports a task that could not: OUT is then not shared or not writable). */
static gboolean
task_marker (const BatchOptions * o, const gchar * run, gint task)
{
  gchar *dir = batch_state_dir (o->outdir);
  gchar *name = g_strdup_printf ("%s.task-%d.started", run, task);
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *text = g_strdup_printf ("%s %d\n", g_get_host_name (), (int) getpid ());
  GError *err = NULL;
  gboolean ok = g_mkdir_with_parents (dir, 0755) == 0
      && g_file_set_contents (path, text, -1, &err);
  if (!ok)
    fprintf (stderr, "facerec-batch: task %d on %s cannot write to %s: %s\n  The output "
        "folder must be on a filesystem every node sees, writable by the job's user.\n", task,
        g_get_host_name (), o->outdir, err ? err->message : g_strerror (errno));
  g_clear_error (&err);
  g_free (dir);
  g_free (name);
  g_free (path);
  g_free (text);
  return ok;
}

/* A run that ends before its jobs start: frees what it made, returns rc. */
static gint
run_abandoned (Batch * b, GPtrArray * names, gchar * problem, GError * err, gint rc)
{
  if (names)
    g_ptr_array_unref (names);
  g_free (problem);
  g_clear_error (&err);
  g_free ((gchar *) b->annotate);
  g_free (b->progress_path);
  return rc;
}

/* The local run, or (shard != NULL) one Slurm task's share of the list. */
gint
batch_run_local (const BatchOptions * o, const gchar * shard, const gchar * file_list,
    const gchar * argv0)
{
  Batch b = { 0 };
  GError *err = NULL;
  GPtrArray *names;
  gchar *problem = NULL;
  guint shard_i = 0, shard_n = 1, failed;
  guint src;

  b.o = o;
  b.task = -1;
  b.run = "local";
  if (shard) {
    if (sscanf (shard, "%u/%u", &shard_i, &shard_n) != 2 || shard_n == 0 || shard_i >= shard_n) {
      fprintf (stderr, "facerec-batch: --shard %s: expected I/N with 0 <= I < N\n", shard);
      return 2;
    }
    b.task = (gint) shard_i;
    b.run = g_getenv ("SLURM_ARRAY_JOB_ID") ? g_getenv ("SLURM_ARRAY_JOB_ID") : "local";
    if (!task_marker (o, b.run, b.task))
      return 1;
    {
      gchar *dir = batch_state_dir (o->outdir);
      gchar *name = g_strdup_printf ("%s.task-%d.progress", b.run, b.task);
      b.progress_path = g_build_filename (dir, name, NULL);
      g_free (dir);
      g_free (name);
    }
  }
  if (!g_file_test (o->model, G_FILE_TEST_IS_REGULAR))
    problem = g_strdup_printf ("%s: no such model file (train one with facerec-train%s)",
        o->model, shard ? "; on a cluster it must be on a path every node sees" : "");
  if (problem && !shard) {
    fprintf (stderr, "facerec-batch: %s\n", problem);
    return run_abandoned (&b, NULL, problem, NULL, 1);
  }
  names = file_list ? file_list_read (file_list, &err) : batch_list_videos (o->indir, &err);
  if (!names) {
    fprintf (stderr, "facerec-batch: %s\n", err->message);
    return run_abandoned (&b, NULL, problem, err, 1);
  }
  if (!shard && !problem && g_mkdir_with_parents (o->outdir, 0755) != 0)
    problem = g_strdup_printf ("%s: cannot create the output folder", o->outdir);
  if (!problem && !(b.annotate = find_annotate (argv0)))
    problem = g_strdup ("facerec-annotate not found next to facerec-batch or on PATH");
  if (problem && !shard) {
    fprintf (stderr, "facerec-batch: %s\n", problem);
    return run_abandoned (&b, names, problem, NULL, 1);
  }
  if (names->len == 0 && !shard) {
    fprintf (stderr, "facerec-batch: %s: no video files (%s)\n", o->indir,
        "mp4, webm, mkv, mov, avi");
    return run_abandoned (&b, names, problem, NULL, 1);
  }

  {
    gchar *dir = batch_state_dir (o->outdir);
    g_mkdir_with_parents (dir, 0755);
    g_free (dir);
  }
  b.jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  b.jobs_max = (guint) o->jobs_max;
  b.tty = isatty (STDERR_FILENO);
  for (guint i = 0; i < names->len; i++) {
    Job *j;
    if (i % shard_n != shard_i)
      continue;
    j = job_new (o->indir, o->outdir, g_ptr_array_index (names, i), o->force);
    j->index = i;
    if (problem) {              /* a task that cannot work: every file says why */
      j->state = JOB_FAILED;
      j->reason = g_strdup_printf ("%s (on %s)", problem, g_get_host_name ());
    }
    if (j->state != JOB_WAITING) {
      b.done++;
      record (&b, j);
    }
    g_ptr_array_add (b.jobs, j);
  }
  g_ptr_array_unref (names);
  if (problem)
    fprintf (stderr, "facerec-batch: %s\n", problem);

  b.loop = g_main_loop_new (NULL, FALSE);
  src = g_timeout_add_seconds (1, check_deadlines, &b);
  {
    gpointer on_int[2] = { &b, GINT_TO_POINTER (SIGINT) }, on_term[2] = { &b,
      GINT_TO_POINTER (SIGTERM)
    };
    guint s_int = g_unix_signal_add (SIGINT, on_signal, on_int);
    guint s_term = g_unix_signal_add (SIGTERM, on_signal, on_term);
    start_jobs (&b);
    if (b.running > 0)
      g_main_loop_run (b.loop);
    g_source_remove (s_int);
    g_source_remove (s_term);
  }
  g_source_remove (src);
  g_main_loop_unref (b.loop);

  failed = print_table (b.jobs);
  /* a Slurm task has only its share: the submitter makes the overall sheet */
  if (!shard && !b.stopping)
    batch_write_summary (o, b.jobs);
  g_ptr_array_unref (b.jobs);
  g_free (b.progress_path);
  g_free ((gchar *) b.annotate);
  g_free (problem);
  if (b.stopping)
    return 128 + b.stopping;
  return failed ? 1 : 0;
}

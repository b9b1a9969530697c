/* facerec-batch: annotate every video of a folder.
 *
 *   facerec-batch INPUT_DIR -m MODEL -o OUTPUT_DIR [-j N] [--force] [--duration SEC]
 *
 * For each video (mp4, webm, mkv, mov, avi; sorted by name) it runs
 * facerec-annotate, N at a time, and writes OUTPUT_DIR/NAME.annotated.EXT (same
 * container family; .avi becomes .mkv) and OUTPUT_DIR/NAME.jsonl. Both are written
 * under temporary names and renamed when the file succeeded, so a killed run
 * leaves no complete-looking output. Files whose outputs exist are skipped
 * (resume) unless --force. One failing file is reported and does not stop the
 * others; the exit status is 1 if any failed. A table sums up at the end.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_OK, JOB_SKIPPED, JOB_FAILED } JobState;

typedef struct {
  gchar *input, *name, *out_video, *out_jsonl, *tmp_video, *tmp_jsonl;
  JobState state;
  gdouble progress;
  gint last_shown;              /* last progress step printed (non-tty) */
  gchar *reason;                /* why it failed */
  gchar *last_line;             /* last stderr line that is not progress/stats */
  guint64 frames, faces, unknown;
  GString *names;
  gint64 start_us, end_us;
  gboolean exited, eof;
  gint status;
} Job;

typedef struct {
  GPtrArray *jobs;
  guint next, running, done, jobs_max;
  const gchar *annotate, *model;
  gdouble duration;
  gboolean tty;
  GMainLoop *loop;
} Batch;

static const gchar *video_exts[] = { ".mp4", ".webm", ".mkv", ".mov", ".avi", NULL };

static gboolean
is_video (const gchar * name)
{
  gchar *lower = g_ascii_strdown (name, -1);
  gboolean yes = FALSE;
  for (guint i = 0; video_exts[i]; i++)
    yes |= g_str_has_suffix (lower, video_exts[i]);
  g_free (lower);
  return yes && name[0] != '.';
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
}

static void start_jobs (Batch * b);

static void
finish_job (Batch * b, Job * j)
{
  j->end_us = g_get_monotonic_time ();
  if (g_spawn_check_wait_status (j->status, NULL)) {
    if (g_rename (j->tmp_video, j->out_video) == 0 && g_rename (j->tmp_jsonl, j->out_jsonl) == 0) {
      j->state = JOB_OK;
    } else {
      j->state = JOB_FAILED;
      j->reason = g_strdup_printf ("cannot rename the outputs into %s", j->out_video);
    }
  } else {
    j->state = JOB_FAILED;
    j->reason = g_strdup (j->last_line ? j->last_line : "facerec-annotate failed");
    g_unlink (j->tmp_video);
    g_unlink (j->tmp_jsonl);
  }
  b->running--;
  b->done++;
  if (b->tty)
    fprintf (stderr, "\r\033[K");
  fprintf (stderr, "[%u/%u done] %s: %s%s%s\n", b->done, b->jobs->len, j->name,
      j->state == JOB_OK ? "ok" : "FAILED", j->reason ? ": " : "", j->reason ? j->reason : "");
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

static void
start_jobs (Batch * b)
{
  while (b->running < b->jobs_max && b->next < b->jobs->len) {
    Job *j = g_ptr_array_index (b->jobs, b->next++);
    GPtrArray *argv;
    GError *err = NULL;
    GPid pid;
    gint err_fd;
    GIOChannel *ch;
    gpointer *p1, *p2;
    gchar dur[32];

    if (j->state == JOB_SKIPPED)
      continue;
    argv = g_ptr_array_new ();
    g_ptr_array_add (argv, (gpointer) b->annotate);
    g_ptr_array_add (argv, j->input);
    g_ptr_array_add (argv, (gpointer) "-m");
    g_ptr_array_add (argv, (gpointer) b->model);
    g_ptr_array_add (argv, (gpointer) "-o");
    g_ptr_array_add (argv, j->tmp_video);
    g_ptr_array_add (argv, (gpointer) "--jsonl");
    g_ptr_array_add (argv, j->tmp_jsonl);
    g_ptr_array_add (argv, (gpointer) "--progress");
    g_ptr_array_add (argv, (gpointer) "-q");
    if (b->duration > 0) {
      g_ascii_dtostr (dur, sizeof dur, b->duration);
      g_ptr_array_add (argv, (gpointer) "--duration");
      g_ptr_array_add (argv, dur);
    }
    g_ptr_array_add (argv, NULL);
    j->start_us = g_get_monotonic_time ();
    if (!g_spawn_async_with_pipes (NULL, (gchar **) argv->pdata, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL, NULL, &err_fd, &err)) {
      j->state = JOB_FAILED;
      j->reason = g_strdup_printf ("cannot run %s: %s", b->annotate, err->message);
      g_clear_error (&err);
      b->done++;
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
    g_child_watch_add (pid, on_child_exit, p2);
  }
  if (b->running == 0 && b->next >= b->jobs->len)
    g_main_loop_quit (b->loop);
}

/* g_ptr_array_sort passes pointers to the elements */
static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
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

int
main (int argc, char **argv)
{
  gchar *model = NULL, *outdir = NULL;
  gint jobs_max = 1;
  gboolean force = FALSE;
  gdouble duration = 0;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Trained model (facerec-train)", "MODEL"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &outdir, "Output folder", "DIR"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs_max, "Files processed in parallel (default 1)", "N"},
    {"force", 'f', 0, G_OPTION_ARG_NONE, &force, "Redo files whose outputs exist", NULL},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Process only the first SEC seconds of each file (0: all)", "SEC"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("INPUT_DIR - annotate every video of a folder");
  GError *err = NULL;
  Batch b = { 0 };
  GDir *dir;
  const gchar *entry;
  GPtrArray *names;
  guint failed = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    fprintf (stderr, "facerec-batch: %s\n", err->message);
    return 2;
  }
  if (argc != 2 || !model || !outdir || jobs_max < 1 || duration < 0) {
    fprintf (stderr, "%s", g_option_context_get_help (ctx, TRUE, NULL));
    return 2;
  }
  g_option_context_free (ctx);
  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    fprintf (stderr, "facerec-batch: %s: no such model file (train one with facerec-train)\n", model);
    return 1;
  }
  dir = g_dir_open (argv[1], 0, &err);
  if (!dir) {
    fprintf (stderr, "facerec-batch: %s\n", err->message);
    return 1;
  }
  if (g_mkdir_with_parents (outdir, 0755) != 0) {
    fprintf (stderr, "facerec-batch: %s: cannot create the output folder\n", outdir);
    return 1;
  }
  b.annotate = find_annotate (argv[0]);
  if (!b.annotate) {
    fprintf (stderr, "facerec-batch: facerec-annotate not found next to facerec-batch or on PATH\n");
    return 1;
  }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (dir)))
    if (is_video (entry))
      g_ptr_array_add (names, g_strdup (entry));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  if (names->len == 0) {
    fprintf (stderr, "facerec-batch: %s: no video files (%s)\n", argv[1],
        "mp4, webm, mkv, mov, avi");
    return 1;
  }

  b.jobs = g_ptr_array_new ();
  b.jobs_max = (guint) jobs_max;
  b.model = model;
  b.duration = duration;
  b.tty = isatty (STDERR_FILENO);
  for (guint i = 0; i < names->len; i++) {
    const gchar *file = g_ptr_array_index (names, i);
    const gchar *dot = strrchr (file, '.');
    gchar *stem = g_strndup (file, (gsize) (dot - file));
    gchar *ext = g_ascii_strdown (dot, -1);
    Job *j = g_new0 (Job, 1);
    gchar *v, *tv, *tj;
    if (g_str_equal (ext, ".avi")) {
      g_free (ext);
      ext = g_strdup (".mkv");
    }
    v = g_strdup_printf ("%s.annotated%s", stem, ext);
    tv = g_strdup_printf (".tmp-%s.annotated%s", stem, ext);
    tj = g_strdup_printf (".tmp-%s.jsonl", stem);
    j->input = g_build_filename (argv[1], file, NULL);
    j->name = g_strdup (file);
    j->out_video = g_build_filename (outdir, v, NULL);
    j->tmp_video = g_build_filename (outdir, tv, NULL);
    j->tmp_jsonl = g_build_filename (outdir, tj, NULL);
    {
      gchar *jl = g_strdup_printf ("%s.jsonl", stem);
      j->out_jsonl = g_build_filename (outdir, jl, NULL);
      g_free (jl);
    }
    j->names = g_string_new (NULL);
    j->last_shown = -1;
    if (!force && g_file_test (j->out_video, G_FILE_TEST_IS_REGULAR)
        && g_file_test (j->out_jsonl, G_FILE_TEST_IS_REGULAR)) {
      j->state = JOB_SKIPPED;
      b.done++;
    }
    g_ptr_array_add (b.jobs, j);
    g_free (stem);
    g_free (ext);
    g_free (v);
    g_free (tv);
    g_free (tj);
  }

  b.loop = g_main_loop_new (NULL, FALSE);
  start_jobs (&b);
  if (b.running > 0)
    g_main_loop_run (b.loop);

  printf ("\n%-48s %-8s %8s %8s %8s  %s\n", "file", "status", "frames", "faces", "seconds",
      "names / reason");
  for (guint i = 0; i < b.jobs->len; i++) {
    Job *j = g_ptr_array_index (b.jobs, i);
    if (j->state == JOB_SKIPPED) {
      printf ("%-48s %-8s %8s %8s %8s  %s\n", j->name, "skipped", "-", "-", "-",
          "outputs exist (--force to redo)");
    } else if (j->state == JOB_OK) {
      printf ("%-48s %-8s %8" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT " %8.1f  %s\n", j->name,
          "ok", j->frames, j->faces, (j->end_us - j->start_us) / 1e6,
          j->names->len ? j->names->str : "(nobody named)");
    } else {
      failed++;
      printf ("%-48s %-8s %8s %8s %8s  %s\n", j->name, "FAILED", "-", "-", "-",
          j->reason ? j->reason : "not run");
    }
  }
  printf ("%u file(s): %u failed\n", b.jobs->len, failed);
  return failed ? 1 : 0;
}

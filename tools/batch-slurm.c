/* facerec-batch --slurm: one Slurm job array over the folder.
 *
 * The submitter lists the folder (sorted), writes the list to
 * OUT/.facerec-batch/, and submits the array tasks that have work: task I runs
 * `facerec-batch --shard I/N --file-list LIST ...`, i.e. the local code on files
 * I, I+N, I+2N... (the same files on a rerun with the same N). Each task writes
 * a marker (ID.task-I.started: it can write to OUT), its progress
 * (ID.task-I.progress) and one status file per video; the submitter polls
 * `scontrol show job` and these files, prints progress, and merges the status
 * files into the usual table. Nothing here needs a shared filesystem except OUT,
 * the model, the input folder and the facerec-batch/facerec-annotate binaries
 * (the README says so).
 */
#include "batch.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static gchar *
absolute (const gchar * path)
{
  return g_canonicalize_filename (path, NULL);
}

/* Submits; returns the job id, or NULL after printing why not. */
static gchar *
submit (const BatchOptions * o, guint n, const gchar * tasks, const gchar * list,
    const gchar * partition, gchar ** sbatch_args, const gchar * statedir)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GString *cmd = g_string_new ("exec ");
  gchar *self = g_file_read_link ("/proc/self/exe", NULL), *q, *out = NULL, *err = NULL;
  gchar *job = NULL;
  GError *error = NULL;
  gint status;

#define ARG(s) g_string_append_printf (cmd, " %s", (q = g_shell_quote (s))), g_free (q)
  q = g_shell_quote (self);
  g_string_append (cmd, q);
  g_free (q);
  g_string_append_printf (cmd, " --shard \"$SLURM_ARRAY_TASK_ID\"/%u --file-list", n);
  ARG (list);
  ARG (o->indir);
  g_string_append (cmd, " -m");
  ARG (o->model);
  g_string_append (cmd, " -o");
  ARG (o->outdir);
  g_string_append_printf (cmd, " -j %d --timeout=%d", o->jobs_max, o->timeout);
  if (o->duration > 0) {
    gchar d[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf (cmd, " --duration %s", g_ascii_dtostr (d, sizeof d, o->duration));
  }
  if (o->force)
    g_string_append (cmd, " --force");
#undef ARG

  g_ptr_array_add (argv, g_strdup ("sbatch"));
  g_ptr_array_add (argv, g_strdup ("--parsable"));
  g_ptr_array_add (argv, g_strdup ("--job-name=facerec-batch"));
  g_ptr_array_add (argv, g_strdup_printf ("--array=%s", tasks));
  g_ptr_array_add (argv, g_strdup_printf ("--output=%s/logs/%%A_%%a.log", statedir));
  g_ptr_array_add (argv, g_strdup_printf ("--cpus-per-task=%d", o->jobs_max));
  if (partition)
    g_ptr_array_add (argv, g_strdup_printf ("--partition=%s", partition));
  for (guint i = 0; sbatch_args && sbatch_args[i]; i++)       /* the user's come last: they win */
    g_ptr_array_add (argv, g_strdup (sbatch_args[i]));
  g_ptr_array_add (argv, g_strdup_printf ("--wrap=%s", cmd->str));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
          &err, &status, &error)) {
    fprintf (stderr, "facerec-batch: cannot run sbatch (%s): --slurm needs the Slurm client "
        "commands (Debian: slurm-client) and a cluster; scripts/slurm-start.sh starts one on "
        "this machine\n", error->message);
    g_clear_error (&error);
  } else if (!g_spawn_check_wait_status (status, NULL) || !g_ascii_isdigit (out[0])) {
    fprintf (stderr, "facerec-batch: sbatch refused the job: %s", err && *err ? err : "(no message)\n");
  } else {
    job = g_strndup (out, strspn (out, "0123456789"));
  }
  g_free (out);
  g_free (err);
  g_free (self);
  g_string_free (cmd, TRUE);
  g_ptr_array_unref (argv);
  return job;
}

gint
slurm_run (const BatchOptions * given, gint array_size, const gchar * partition,
    gboolean no_wait, const gchar * attach_job, gchar ** sbatch_args)
{
  BatchOptions o = *given;
  Watch w = { 0 };
  GError *err = NULL;
  GPtrArray *names = NULL;
  gchar *list = NULL, *jobfile = NULL, *logs;
  GString *tasks = g_string_new (NULL);
  gint ret = 1;

  o.indir = absolute (given->indir);
  o.model = absolute (given->model);
  o.outdir = absolute (given->outdir);
  o.summary = absolute (given->summary);
  w.o = &o;
  w.tty = isatty (STDERR_FILENO);
  w.statedir = batch_state_dir (o.outdir);
  logs = g_build_filename (w.statedir, "logs", NULL);
  if (!g_file_test (o.model, G_FILE_TEST_IS_REGULAR)) {
    fprintf (stderr, "facerec-batch: %s: no such model file (train one with facerec-train)\n",
        o.model);
    goto out;
  }
  if (g_mkdir_with_parents (logs, 0755) != 0) {
    fprintf (stderr, "facerec-batch: %s: cannot create the output folder\n", o.outdir);
    goto out;
  }

  if (attach_job) {             /* --job ID: the list and size it was submitted with */
    GKeyFile *kf = g_key_file_new ();
    gchar *name = g_strdup_printf ("%s.job", attach_job);
    jobfile = g_build_filename (w.statedir, name, NULL);
    g_free (name);
    if (!g_key_file_load_from_file (kf, jobfile, G_KEY_FILE_NONE, &err)) {
      fprintf (stderr, "facerec-batch: no job %s was submitted to %s (%s)\n", attach_job,
          o.outdir, err->message);
      g_key_file_free (kf);
      goto out;
    }
    list = g_key_file_get_string (kf, "job", "list", NULL);
    w.n = (guint) g_key_file_get_integer (kf, "job", "array-size", NULL);
    {
      gchar *ids = g_key_file_get_string (kf, "job", "tasks", NULL);
      g_string_assign (tasks, ids ? ids : "");
      g_free (ids);
    }
    g_key_file_free (kf);
    names = list ? file_list_read (list, &err) : NULL;
    w.job = g_strdup (attach_job);
  } else {
    names = batch_list_videos (o.indir, &err);
  }
  if (!names) {
    fprintf (stderr, "facerec-batch: %s\n", err ? err->message : "no file list");
    goto out;
  }
  if (names->len == 0) {
    fprintf (stderr, "facerec-batch: %s: no video files (mp4, webm, mkv, mov, avi)\n", o.indir);
    goto out;
  }
  if (!attach_job)
    w.n = array_size > 0 ? MIN ((guint) array_size, names->len) : MIN (names->len, 1000);
  if (w.n == 0 || w.n > names->len) {
    fprintf (stderr, "facerec-batch: job %s: inconsistent job file\n", w.job);
    goto out;
  }
  w.tasks = g_new0 (Task, w.n);
  w.jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  w.final = g_new0 (gboolean, names->len);
  for (guint i = 0; i < names->len; i++) {
    Job *j = job_new (o.indir, o.outdir, g_ptr_array_index (names, i), o.force);
    j->index = i;
    if (!attach_job && j->state == JOB_WAITING)
      w.tasks[i % w.n].submitted = TRUE;        /* only tasks with work are submitted */
    g_ptr_array_add (w.jobs, j);
  }
  if (attach_job) {
    gchar **ids = g_strsplit (tasks->str, ",", -1);
    for (guint i = 0; ids[i]; i++) {
      guint a = 0, b = 0;
      gint got = sscanf (ids[i], "%u-%u", &a, &b);
      for (guint t = a; got >= 1 && t <= (got == 2 ? b : a) && t < w.n; t++)
        w.tasks[t].submitted = TRUE;
    }
    g_strfreev (ids);
  } else {                      /* sbatch's --array syntax: "0-2,5,7-9" */
    for (guint t = 0; t < w.n; t++) {
      guint e = t;
      if (!w.tasks[t].submitted)
        continue;
      while (e + 1 < w.n && w.tasks[e + 1].submitted)
        e++;
      g_string_append_printf (tasks, "%s%u", tasks->len ? "," : "", t);
      if (e > t)
        g_string_append_printf (tasks, "-%u", e);
      t = e;
    }
  }
  for (guint i = 0; i < w.jobs->len; i++)       /* files no task redoes */
    if (!w.tasks[i % w.n].submitted) {
      w.final[i] = TRUE;
      w.done++;
    }

  if (!attach_job && tasks->len == 0) {
    fprintf (stderr, "facerec-batch: every file is done (--force to redo): nothing to submit\n");
  } else if (!attach_job) {
    GKeyFile *kf;
    gchar *name = g_strdup_printf ("files-%" G_GINT64_FORMAT "-%d.list",
        g_get_real_time () / G_USEC_PER_SEC, (int) getpid ());
    list = g_build_filename (w.statedir, name, NULL);
    g_free (name);
    if (!file_list_write (list, names, &err)) {
      fprintf (stderr, "facerec-batch: %s\n", err->message);
      goto out;
    }
    if (!(w.job = submit (&o, w.n, tasks->str, list, partition, sbatch_args, w.statedir)))
      goto out;
    kf = g_key_file_new ();
    g_key_file_set_string (kf, "job", "list", list);
    g_key_file_set_integer (kf, "job", "array-size", (gint) w.n);
    g_key_file_set_string (kf, "job", "tasks", tasks->str);
    name = g_strdup_printf ("%s.job", w.job);
    jobfile = g_build_filename (w.statedir, name, NULL);
    g_free (name);
    if (!g_key_file_save_to_file (kf, jobfile, &err)) {
      fprintf (stderr, "facerec-batch: warning: %s\n", err->message);
      g_clear_error (&err);
    }
    g_key_file_free (kf);
    fprintf (stderr, "facerec-batch: submitted job %s: array of %u task(s), running %s; "
        "logs in %s\n", w.job, w.n, tasks->str, logs);
    if (no_wait) {
      fprintf (stderr, "facerec-batch: to wait for it and see the table, run this command "
          "again with --job %s instead of --slurm\n", w.job);
      printf ("%s\n", w.job);
      ret = 0;
      goto out;
    }
  }
  if (w.job) {
    watch_wait (&w);
    watch_report (&w);
  }
  ret = print_table (w.jobs) ? 1 : 0;
  batch_write_summary (&o, w.jobs);

out:
  for (guint t = 0; w.tasks && t < w.n; t++) {
    g_free (w.tasks[t].state);
    g_free (w.tasks[t].exit_code);
    g_free (w.tasks[t].reason);
    g_free (w.tasks[t].node);
    g_free (w.tasks[t].log);
  }
  g_free (w.tasks);
  g_free (w.final);
  if (w.jobs)
    g_ptr_array_unref (w.jobs);
  if (names)
    g_ptr_array_unref (names);
  g_clear_error (&err);
  g_string_free (tasks, TRUE);
  g_free (w.job);
  g_free (w.statedir);
  g_free (list);
  g_free (jobfile);
  g_free (logs);
  g_free (o.indir);
  g_free (o.model);
  g_free (o.outdir);
  g_free (o.summary);
  return ret;
}

/* facerec-batch: annotate every video of a folder, here or on a Slurm cluster.
 *
 *   facerec-batch INPUT_DIR -m MODEL -o OUTPUT_DIR [-j N] [--force] [--duration SEC]
 *                 [--timeout SEC] [--summary-image FILE.png]
 *   facerec-batch INPUT_DIR -m MODEL -o OUTPUT_DIR --slurm [--array-size N]
 *                 [--partition P] [--no-wait] [-- SBATCH_OPTIONS...]
 *
 * For each video (mp4, webm, mkv, mov, avi; sorted by name) it runs
 * facerec-annotate, N at a time, and writes OUTPUT_DIR/NAME.annotated.EXT (same
 * container family; .avi becomes .mkv) and OUTPUT_DIR/NAME.jsonl. Both are written
 * under temporary names and renamed when the file succeeded, so a killed run
 * leaves no complete-looking output. Files whose outputs exist are skipped
 * (resume) unless --force. One failing file is reported and does not stop the
 * others; the exit status is 1 if any failed. A table sums up at the end.
 * A file still running after its timeout (default: 120 s + 10x its length) is
 * killed and fails with "timed out after N s".
 *
 * Each video also gets NAME.summary.png, a contact sheet of who was seen in it, and
 * the run one over all the videos that are done (--summary-image, default
 * OUTPUT_DIR/summary.png), merged from the tiles each file keeps in
 * OUTPUT_DIR/.facerec-batch/NAME.sightings.{tsv,png} (batch-summary.cpp).
 * Each file's result is also written to OUTPUT_DIR/.facerec-batch/NAME.status.
 * --slurm (batch-slurm.c) submits one job array whose tasks run this program
 * with --shard I/N: the same code on every N-th file of the list.
 */
#include "batch.h"

#include <stdio.h>
#include <string.h>

/* Usage errors: the message, a hint, exit 2 (as the other tools do). */
static int
usage_error (const gchar * msg)
{
  fprintf (stderr, "facerec-batch: %s\nTry 'facerec-batch --help' for more information.\n", msg);
  return 2;
}

int
main (int argc, char **argv)
{
  BatchOptions o = { 0 };
  gchar *shard = NULL, *file_list = NULL, *partition = NULL, *job = NULL;
  gint array_size = 0;
  gboolean slurm = FALSE, no_wait = FALSE;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model, "Trained model (facerec-train)", "MODEL"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.outdir, "Output folder", "DIR"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &o.jobs_max,
        "Files processed in parallel (default 1; per task with --slurm)", "N"},
    {"force", 'f', 0, G_OPTION_ARG_NONE, &o.force, "Redo files whose outputs exist", NULL},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o.duration,
        "Process only the first SEC seconds of each file (0: all)", "SEC"},
    {"timeout", 't', 0, G_OPTION_ARG_INT, &o.timeout,
          "Fail a file still running after SEC seconds (0: never; default: 120 s + 10x the "
          "length processed)", "SEC"},
    {"summary-image", 's', 0, G_OPTION_ARG_FILENAME, &o.summary,
          "The contact sheet of who was seen in all the videos (default: OUTPUT_DIR/summary.png; "
          "each video also gets NAME.summary.png)", "FILE.png"},
    {"slurm", 0, 0, G_OPTION_ARG_NONE, &slurm,
        "Run as one Slurm job array (sbatch); options after -- go to sbatch", NULL},
    {"array-size", 0, 0, G_OPTION_ARG_INT, &array_size,
        "Slurm: number of array tasks (default: one per file, at most 1000)", "N"},
    {"partition", 'p', 0, G_OPTION_ARG_STRING, &partition, "Slurm: partition", "P"},
    {"no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
        "Slurm: print the job id and exit (then --job ID waits for it)", NULL},
    {"job", 0, 0, G_OPTION_ARG_STRING, &job,
        "Slurm: wait for job ID (submitted with --no-wait) and print its table", "ID"},
    {"shard", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shard,
        "Process every N-th file from the I-th (a Slurm task)", "I/N"},
    {"file-list", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &file_list,
        "The file names to process (NUL-separated; a Slurm task)", "FILE"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("INPUT_DIR [-- SBATCH_OPTIONS] - annotate every "
      "video of a folder");
  GError *err = NULL;
  gchar **sbatch_args = NULL;
  gint positional = 0, status;

  /* A usage error frees what the options parsed (nothing is left for LeakSanitizer). */
#define USAGE(msg) do { status = usage_error (msg); goto usage; } while (0)
  o.jobs_max = 1;
  o.timeout = -1;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    const int rc = usage_error (err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return rc;
  }
  /* GOption leaves "--" in place: what follows is for sbatch */
  for (positional = 1; positional < argc && strcmp (argv[positional], "--") != 0; positional++);
  if (positional < argc)
    sbatch_args = g_strdupv (argv + positional + 1);
  g_option_context_free (ctx);
  if (positional < 2)
    USAGE ("missing INPUT_DIR (the folder of videos to annotate)");
  if (positional > 2) {
    g_autofree gchar *m = g_strdup_printf (  /* freed on return */
        "unexpected argument '%s' (only one INPUT_DIR; options for "
        "sbatch go after --)", argv[2]);
    USAGE (m);
  }
  if (!o.model)
    USAGE ("missing -m MODEL (the model to recognise with, from facerec-train)");
  if (!o.outdir)
    USAGE ("missing -o OUTPUT_DIR (the folder to write the annotated videos to)");
  if (o.jobs_max < 1)
    USAGE ("-j needs at least 1 file at a time");
  if (o.duration < 0)
    USAGE ("--duration must be 0 (all) or more seconds");
  if (o.timeout < -1)
    USAGE ("--timeout must be 0 (none) or more seconds");
  if (array_size < 0)
    USAGE ("--array-size must be 1 or more");
  if (sbatch_args && !slurm && !job)
    USAGE ("options after -- go to sbatch: only with --slurm or --job");
  if ((no_wait || array_size || partition) && !slurm)
    USAGE ("--no-wait, --array-size and --partition go with --slurm");
  if (o.summary && !g_str_has_suffix (o.summary, ".png") && !g_str_has_suffix (o.summary, ".PNG"))
    USAGE ("--summary-image needs a .png file name");
  if (!o.summary)
    o.summary = g_build_filename (o.outdir, "summary.png", NULL);
  o.indir = argv[1];
  if (slurm || job)
    status = slurm_run (&o, array_size, partition, no_wait, job, sbatch_args);
  else
    status = batch_run_local (&o, shard, file_list, argv[0]);

usage:  /* and after a run */
  g_strfreev (sbatch_args);
  g_free (o.model);
  g_free (o.outdir);
  g_free (o.summary);
  g_free (shard);
  g_free (file_list);
  g_free (partition);
  g_free (job);
  return status;
#undef USAGE
}

/* facerec-batch: annotate every video of a folder, here or on a Slurm cluster.
 *
 *   facerec-batch INPUT_DIR -m MODEL -o OUTPUT_DIR [-j N] [--force] [--duration SEC]
 *                 [--timeout SEC]
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
 * Each file's result is also written to OUTPUT_DIR/.facerec-batch/NAME.status.
 * --slurm (batch-slurm.c) submits one job array whose tasks run this program
 * with --shard I/N: the same code on every N-th file of the list.
 */
#include "batch.h"

#include <stdio.h>
#include <string.h>

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

  o.jobs_max = 1;
  o.timeout = -1;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    fprintf (stderr, "facerec-batch: %s\n", err->message);
    return 2;
  }
  /* GOption leaves "--" in place: what follows is for sbatch */
  for (positional = 1; positional < argc && strcmp (argv[positional], "--") != 0; positional++);
  if (positional < argc)
    sbatch_args = g_strdupv (argv + positional + 1);
  if (positional != 2 || !o.model || !o.outdir || o.jobs_max < 1 || o.duration < 0
      || o.timeout < -1 || array_size < 0 || (sbatch_args && !slurm && !job)
      || ((no_wait || array_size || partition) && !slurm)) {
    fprintf (stderr, "%s", g_option_context_get_help (ctx, TRUE, NULL));
    return 2;
  }
  g_option_context_free (ctx);
  o.indir = argv[1];
  if (slurm || job)
    status = slurm_run (&o, array_size, partition, no_wait, job, sbatch_args);
  else
    status = batch_run_local (&o, shard, file_list, argv[0]);
  g_strfreev (sbatch_args);
  return status;
}

/* facerec-batch's parts: the per-file record (Job), its status file in the
 * output folder, the summary table (batch-common.c), and the Slurm submitter
 * (batch-slurm.c). Plain GLib. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_OK, JOB_SKIPPED, JOB_FAILED } JobState;

typedef struct {
  gchar *input, *name, *out_video, *out_jsonl, *tmp_video, *tmp_jsonl;
  gchar *out_summary, *tmp_summary;     /* NAME.summary.png: the video's contact sheet */
  gchar *sightings;             /* OUT/.facerec-batch/NAME.sightings(.tsv, .png): its tiles */
  JobState state;
  gdouble progress;
  gint last_shown;              /* last progress step printed (non-tty) */
  gchar *reason;                /* why it failed */
  gchar *last_line;             /* last stderr line that is not progress/stats */
  guint64 frames, faces, unknown;
  GString *names;
  gint64 start_us, end_us;
  gdouble seconds;              /* wall time, for the table */
  gint64 deadline_us;           /* kill the annotate process then (G_MAXINT64: never) */
  gboolean exited, eof, timed_out, interrupted;
  gint status;
  GPid pid;
  guint index;                  /* position in the whole sorted list (shards: index % N) */
} Job;

/* What every mode shares: the folders, the model, the per-file options. */
typedef struct {
  gchar *indir, *model, *outdir;
  gint jobs_max;
  gboolean force;
  gdouble duration;
  gint timeout;                 /* seconds per file; 0: none; -1: from the file's length */
  gchar *summary;               /* the overall contact sheet (default OUT/summary.png) */
} BatchOptions;

/* The per-file timeout when --timeout is not given: a start-up allowance (models,
 * first frame) plus a multiple of the length to process. Annotating runs at
 * 0.3-1x real time on 2 cores, so 10x only catches a hang. */
#define TIMEOUT_STARTUP_S 120
#define TIMEOUT_PER_SECOND 10

/* The sorted video file names (no folders) of dir; NULL with err on error. */
GPtrArray *batch_list_videos (const gchar * dir, GError ** err);

/* A record for file (a name in indir); SKIPPED when its outputs exist and !force. */
Job *job_new (const gchar * indir, const gchar * outdir, const gchar * file, gboolean force);
void job_free (Job * j);

/* OUT/.facerec-batch: status files, task markers, progress and logs. */
gchar *batch_state_dir (const gchar * outdir);

/* OUT/.facerec-batch/NAME.status, written atomically (temp + rename): the
 * file's result in the run `run` ("local" or the Slurm job id) by task `task`. */
gboolean status_write (const gchar * outdir, const Job * j, const gchar * run, gint task,
    GError ** err);
/* Fills j from its status file if that was written by run. */
gboolean status_read (const gchar * outdir, Job * j, const gchar * run);

/* The file list a Slurm job works on, NUL-separated (any file name survives). */
gboolean file_list_write (const gchar * path, GPtrArray * names, GError ** err);
GPtrArray *file_list_read (const gchar * path, GError ** err);

/* s in exactly `width` terminal columns: padded, or cut in the middle with an
 * ellipsis; invalid UTF-8 and control characters are replaced. */
gchar *fit_column (const gchar * s, guint width);

/* Prints the summary table of jobs on stdout; returns the number that failed. */
guint print_table (GPtrArray * jobs);

/* Runs facerec-annotate on every file of o->indir (or of file_list), or with
 * shard "I/N" on every N-th from the I-th (a Slurm task); prints the table.
 * Returns the exit status. */
gint batch_run_local (const BatchOptions * o, const gchar * shard, const gchar * file_list,
    const gchar * argv0);

/* A submitted Slurm job array, as the submitter follows it (batch-watch.c). */
typedef struct {
  gboolean submitted, terminal, announced_start, marker;
  gchar *state, *exit_code, *reason, *node, *log;
} Task;

typedef struct {
  const BatchOptions *o;
  gchar *job, *statedir;
  guint n;                      /* array size */
  Task *tasks;
  GPtrArray *jobs;              /* Job per file, all files */
  gboolean *final;              /* jobs whose result of this run is known */
  guint done;
  gboolean tty;
} Watch;

/* Polls `scontrol show job` and the task files in OUT until every submitted
 * task has ended, printing progress; then fills the rows of files that no task
 * finished and reports tasks that never wrote to OUT. */
void watch_wait (Watch * w);
void watch_report (Watch * w);

/* The overall contact sheet of the jobs that are done (ok or skipped), merged
 * from their sightings files, written to o->summary; prints where (or why not)
 * on stdout. A video whose sightings cannot be read is left out with a warning. */
void batch_write_summary (const BatchOptions * o, GPtrArray * jobs);

/* facerec-batch --slurm: submit one job array and (unless no_wait) wait for it.
 * attach_job: do not submit, wait for that job. Returns the exit status. */
gint slurm_run (const BatchOptions * o, gint array_size, const gchar * partition,
    gboolean no_wait, const gchar * attach_job, gchar ** sbatch_args);

G_END_DECLS

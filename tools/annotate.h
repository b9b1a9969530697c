/* facerec-annotate's parts: the pipeline and its summary (facerec-annotate.c),
 * running it to the end with signals, progress and the output files
 * (annotate-run.c), and the contact sheet of who was seen (annotate-summary.cpp,
 * C++ with OpenCV behind a C API). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _AnnotateSummary AnnotateSummary;

typedef struct {
  GstElement *pipeline;
  GstElement *video_entry;      /* first element of the video chain */
  GstElement *mux;              /* NULL for a still image */
  const gchar *input;
  const gchar *output;          /* the name the user gave (it decides the format) */
  GstClockTime limit;           /* --duration, or GST_CLOCK_TIME_NONE */
  gboolean linked_video;
  guint audio_streams;
  GstClockTime position;        /* last video PTS (written by the streaming thread) */
  guint64 frames;               /* video frames analysed (streaming thread; atomic) */
  gboolean machine_progress;    /* --progress: "length", "progress" lines for facerec-batch */
  gboolean human_progress;      /* one updating line on a terminal */
  GstClockTime total;           /* the length to process (0: unknown) */
  gint interrupted;             /* the SIGINT/SIGTERM that stopped the run (EOS sent, or
                                 * before preroll: nothing written), else 0 */
  AnnotateSummary *summary;     /* --summary-image, or NULL */
} App;

/* ---- output files (annotate-run.c) ----
 * Each output is written as DIR/.tmp-NAME and renamed to DIR/NAME once the run
 * succeeded (or was stopped cleanly with EOS by a signal), so that an
 * interrupted or failed run leaves nothing complete-looking under the final
 * name. A name that exists and is not a regular file (/dev/null, a FIFO) is
 * written directly, as is everything with `direct` (facerec-batch, which does
 * its own temporary names). */
typedef struct {
  gchar *final;
  gchar *tmp;                   /* == final when written directly */
} OutFile;

void out_file_init (OutFile * f, const gchar * final, gboolean direct);
/* Renames tmp to final; FALSE (and prints why) on failure. */
gboolean out_file_commit (OutFile * f);
void out_file_discard (OutFile * f);
void out_file_clear (OutFile * f);

/* ---- running (annotate-run.c) ---- */

/* SIGINT/SIGTERM: the first one makes annotate_wait() send EOS, so that the
 * muxer finishes the file (like gst-launch-1.0 -e); the second removes the
 * temporary files (annotate_abort_removes) and exits at once. Installed first
 * thing in main(), so that no signal is missed while GStreamer starts. */
void annotate_install_signals (void);
/* The outputs whose temporary files the second signal removes (n of them, kept
 * until exit). */
void annotate_abort_removes (OutFile * files, guint n);

/* Waits for ASYNC_DONE (preroll) or EOS, as `type` says; FALSE on ERROR (printed),
 * after `timeout` (GST_CLOCK_TIME_NONE: never) or when a signal arrives during
 * preroll. Meanwhile prints the progress lines and handles the first signal. */
gboolean annotate_wait (App * app, GstMessageType type, GstClockTime timeout);

/* The length to process, from the pipeline (or src) and --duration; sets app->total
 * and prints the "length" line with --progress. */
void annotate_query_length (App * app, GstElement * src);

/* Ends the human progress line (if one was drawn). */
void annotate_progress_done (App * app);

/* ---- the contact sheet (annotate-summary.cpp) ---- */

AnnotateSummary *annotate_summary_new (void);
/* Records the faces of one analysed frame (the buffer after facerecognize). */
void annotate_summary_add (AnnotateSummary * s, GstBuffer * buf, GstCaps * caps);
/* Writes the sheet to png (and, with data_prefix, the tiles for facerec-batch's
 * overall sheet: PREFIX.tsv + PREFIX.png). Sets the number of tiles and of
 * known people; FALSE with *error (free with g_free) on failure. */
gboolean annotate_summary_write (AnnotateSummary * s, const gchar * png, const gchar * data_prefix,
    const gchar * title, guint * tiles, guint * people, gchar ** error);
void annotate_summary_free (AnnotateSummary * s);

G_END_DECLS

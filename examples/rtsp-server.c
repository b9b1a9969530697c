/* rtsp-server: a tiny RTSP server for testing and demos. It serves one video
 * file at rtsp://127.0.0.1:PORT/test, on the loopback interface only.
 *
 *   rtsp-server FILE [--port N] [--mount /test] [--max-seconds SEC]
 *
 * An H.264 .mp4/.mov file is sent as it is (qtdemux ! h264parse ! rtph264pay);
 * any other file is decoded and re-encoded to H.264 (decodebin ! videoconvert
 * ! x264enc tune=zerolatency ! rtph264pay). The file is played once, in real
 * time, from the start for each client (the media is not shared): at its end
 * the client gets EOS (RTCP BYE). It does not loop.
 *
 * --port 0 picks a free port. Once listening it prints one line on stdout:
 *   rtsp-server: serving rtsp://127.0.0.1:PORT/test
 * It exits after --max-seconds (default 600; 0: never) or on SIGINT/SIGTERM.
 *
 * It counts the frames it sends to each client session (the frames handed to
 * the RTP payloader; one media, so one session, per client connection) and
 * prints a line when a session starts and when it ends:
 *   rtsp-server: session 2 started
 *   rtsp-server: session 2: 765 frames sent (end of stream)
 *   rtsp-server: session 3: 212 frames sent (closed)        (the client left)
 * With --counts FILE it also keeps one fixed-width line per session in FILE,
 * rewritten at every frame, so the counts survive a SIGKILL of the server
 * (scripts/soak.sh kills it and reads them):
 *   SESSION STARTED(epoch s) FRAMES STATE      (STATE: live, eos, closed)
 */
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <glib-unix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One client session. Its counters are written from the media's streaming
 * thread and read from the main thread: atomics. */
typedef struct
{
  guint id;
  gdouble started;              /* wall-clock time, seconds since the epoch */
  gint frames;                  /* atomic */
  gint ended;                   /* atomic: the end line was printed */
} Session;

static gint counts_fd = -1;
static gint sessions = 0;       /* atomic */
static GMutex print_lock;

/* Rewrites the session's line of --counts: fixed width, one pwrite(2), so
 * that the file is whole whenever the server dies. */
static void
write_counts (Session * s, const gchar * state)
{
  gchar rec[64];
  gint n;
  if (counts_fd < 0)
    return;
  n = g_snprintf (rec, sizeof rec, "%6u %17.6f %9d %-6s\n", s->id, s->started,
      g_atomic_int_get (&s->frames), state);
  if (pwrite (counts_fd, rec, (size_t) n, (off_t) (s->id - 1) * n) != n)
    g_printerr ("rtsp-server: cannot write the counts file: %s\n", g_strerror (errno));
}

static void
end_session (Session * s, const gchar * why)
{
  if (!g_atomic_int_compare_and_exchange (&s->ended, 0, 1))
    return;
  write_counts (s, g_str_equal (why, "end of stream") ? "eos" : "closed");
  g_mutex_lock (&print_lock);
  g_print ("rtsp-server: session %u: %d frames sent (%s)\n", s->id,
      g_atomic_int_get (&s->frames), why);
  fflush (stdout);
  g_mutex_unlock (&print_lock);
}

/* On the payloader's sink pad: every buffer is one frame (an H.264 access
 * unit from h264parse or x264enc). Counted before the payloader has it, so
 * the count never lags behind what the client can have received. */
static GstPadProbeReturn
count_frames (G_GNUC_UNUSED GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Session *s = user_data;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    g_atomic_int_inc (&s->frames);
    write_counts (s, "live");
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    end_session (s, "end of stream");
  }
  return GST_PAD_PROBE_OK;
}

static void
on_unprepared (G_GNUC_UNUSED GstRTSPMedia * media, gpointer user_data)
{
  end_session (user_data, "closed");
}

/* A new media, for a new client (the factory is not shared). */
static void
on_media_configure (G_GNUC_UNUSED GstRTSPMediaFactory * factory, GstRTSPMedia * media,
    G_GNUC_UNUSED gpointer user_data)
{
  Session *s = g_new0 (Session, 1);
  GstElement *bin = gst_rtsp_media_get_element (media);
  GstElement *pay = gst_bin_get_by_name (GST_BIN (bin), "pay0");
  GstPad *pad = gst_element_get_static_pad (pay, "sink");

  s->id = (guint) g_atomic_int_add (&sessions, 1) + 1;
  s->started = (gdouble) g_get_real_time () / G_USEC_PER_SEC;
  /* freed with the media, after its pipeline (and so the probe) is gone */
  g_object_set_data_full (G_OBJECT (media), "rtsp-server-session", s, g_free);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_frames, s, NULL);
  g_signal_connect (media, "unprepared", G_CALLBACK (on_unprepared), s);
  write_counts (s, "live");
  g_mutex_lock (&print_lock);
  g_print ("rtsp-server: session %u started\n", s->id);
  fflush (stdout);
  g_mutex_unlock (&print_lock);
  gst_object_unref (pad);
  gst_object_unref (pay);
  gst_object_unref (bin);
}

static gboolean
has_suffix_ci (const gchar * s, const gchar * suffix)
{
  gsize ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && g_ascii_strcasecmp (s + ls - lx, suffix) == 0;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_lifetime_over (gpointer user_data)
{
  g_printerr ("rtsp-server: --max-seconds reached, exiting\n");
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  gint port = 8554, max_seconds = 600;
  gchar *mount = NULL, *counts = NULL;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port on 127.0.0.1 (default 8554; 0: a free one)", "N"},
    {"mount", 0, 0, G_OPTION_ARG_STRING, &mount,
        "Mount point (default /test)", "PATH"},
    {"max-seconds", 0, 0, G_OPTION_ARG_INT, &max_seconds,
        "Exit after SEC seconds (default 600; 0: run until killed)", "SEC"},
    {"counts", 0, 0, G_OPTION_ARG_FILENAME, &counts,
        "Keep the frames sent per session in FILE (exact even after SIGKILL)", "FILE"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("FILE - serve a video file over RTSP on 127.0.0.1");
  GError *err = NULL;
  GMainLoop *loop;
  GstRTSPServer *server;
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;
  gchar *service, *launch, *escaped;
  guint id;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("rtsp-server: %s\n", err->message);
    return 2;
  }
  if (argc != 2 || port < 0 || port > 65535 || max_seconds < 0) {
    g_printerr ("%s", g_option_context_get_help (ctx, TRUE, NULL));
    return 2;
  }
  g_option_context_free (ctx);
  if (!g_file_test (argv[1], G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("rtsp-server: %s: no such file\n", argv[1]);
    return 1;
  }
  if (!mount)
    mount = g_strdup ("/test");
  if (mount[0] != '/') {
    g_printerr ("rtsp-server: the mount point must start with '/'\n");
    return 2;
  }

  if (counts) {
    counts_fd = open (counts, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (counts_fd < 0) {
      g_printerr ("rtsp-server: %s: cannot create the counts file: %s\n", counts,
          g_strerror (errno));
      return 1;
    }
  }

  /* The launch line is parsed: quote the file name. */
  escaped = g_strescape (argv[1], NULL);
  if (has_suffix_ci (argv[1], ".mp4") || has_suffix_ci (argv[1], ".mov"))
    launch = g_strdup_printf ("( filesrc location=\"%s\" ! qtdemux ! h264parse "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )", escaped);
  else
    launch = g_strdup_printf ("( filesrc location=\"%s\" ! decodebin ! videoconvert "
        "! x264enc tune=zerolatency speed-preset=veryfast key-int-max=25 "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )", escaped);
  g_free (escaped);

  loop = g_main_loop_new (NULL, FALSE);
  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, "127.0.0.1");
  service = g_strdup_printf ("%d", port);
  gst_rtsp_server_set_service (server, service);
  g_free (service);

  factory = gst_rtsp_media_factory_new ();
  gst_rtsp_media_factory_set_launch (factory, launch);
  gst_rtsp_media_factory_set_shared (factory, FALSE);
  g_signal_connect (factory, "media-configure", G_CALLBACK (on_media_configure), NULL);
  mounts = gst_rtsp_server_get_mount_points (server);
  gst_rtsp_mount_points_add_factory (mounts, mount, factory);
  g_object_unref (mounts);

  id = gst_rtsp_server_attach (server, NULL);
  if (id == 0) {
    g_printerr ("rtsp-server: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  g_print ("rtsp-server: serving rtsp://127.0.0.1:%d%s\n",
      gst_rtsp_server_get_bound_port (server), mount);
  fflush (stdout);

  if (max_seconds > 0)
    g_timeout_add_seconds ((guint) max_seconds, on_lifetime_over, loop);
  g_unix_signal_add (SIGINT, quit_loop, loop);
  g_unix_signal_add (SIGTERM, quit_loop, loop);
  g_main_loop_run (loop);

  g_source_remove (id);
  g_object_unref (server);
  g_main_loop_unref (loop);
  g_free (launch);
  g_free (mount);
  g_free (counts);
  if (counts_fd >= 0)
    close (counts_fd);
  return 0;
}

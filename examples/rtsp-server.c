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
 */
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

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
  gchar *mount = NULL;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port on 127.0.0.1 (default 8554; 0: a free one)", "N"},
    {"mount", 0, 0, G_OPTION_ARG_STRING, &mount,
        "Mount point (default /test)", "PATH"},
    {"max-seconds", 0, 0, G_OPTION_ARG_INT, &max_seconds,
        "Exit after SEC seconds (default 600; 0: run until killed)", "SEC"},
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
  return 0;
}

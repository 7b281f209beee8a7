#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

guint64  signet_engine_ticks_since_boot (void);
gboolean signet_engine_read_process     (pid_t        pid,
                                         char        *state,
                                         pid_t       *ppid,
                                         guint64     *start);
gboolean signet_engine_holds_pipe       (pid_t        pid,
                                         const char  *pipe_name);
pid_t    signet_engine_find             (const char  *pipe_name,
                                         guint64      since,
                                         guint64     *start);
gboolean signet_engine_output_pipe      (pid_t        pid,
                                         char        *name,
                                         gsize        size);

G_END_DECLS

#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

void signet_thread_priority_run_in_background (GTask           *task,
                                               GTaskThreadFunc  task_func);
void signet_thread_priority_lower_worker      (void);
void signet_thread_priority_lower_engine      (pid_t            pid);
int  signet_thread_priority_get_nice          (void);

G_END_DECLS

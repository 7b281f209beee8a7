#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void signet_thread_priority_run_in_background (GTask           *task,
                                               GTaskThreadFunc  task_func);
void signet_thread_priority_lower_worker      (void);
int  signet_thread_priority_get_nice          (void);

G_END_DECLS

/* switchd's reconciliation loop: on any change of the replica, read the desired configuration
 * whole, bring flowd to it, and write the status back to the database. */
#ifndef VSW_SWITCHD_RECONCILE_H
#define VSW_SWITCHD_RECONCILE_H

struct switchd;

/* Asks for a reconciliation soon; several requests within one loop iteration coalesce. */
void reconcile_schedule(struct switchd *switchd);

/* Reconciles now. Returns 0, or -1 if something could not be applied (retried later). */
int reconcile_run(struct switchd *switchd);

#endif

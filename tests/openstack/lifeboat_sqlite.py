"""lifeboat_sqlite - sqlite's "database is locked" becomes, for oslo.db, the
deadlock it is, so the services retry the transaction as they do for MySQL's.
Imported into Nova's and Glance's services once they have started (after
eventlet's monkey-patching).

Why: oslo.db begins sqlite transactions with a deferred BEGIN. A transaction
that has read and then writes while another process writes cannot wait its
turn: sqlite answers "database is locked" at once, without the busy timeout,
since waiting could deadlock. oslo.db passes that on as a plain error, and
Nova fails the request midway (a snapshot whose image it then deletes). Nova
and Glance wrap their writes in retries on DBDeadlock; this lets them apply.
Taking the write lock at BEGIN instead (BEGIN IMMEDIATE) makes Keystone wait
for itself: it opens a second transaction inside the first.
"""
import logging

from oslo_db import exception
from oslo_db.sqlalchemy import exc_filters
from sqlalchemy import exc as sqla_exc


@exc_filters.filters("sqlite", sqla_exc.OperationalError, r"^.*database is locked")
def _sqlite_locked_is_a_deadlock(error, match, engine_name, is_disconnect):
    # counted by t_openstack.sh at its end
    logging.getLogger(__name__).warning("sqlite lock conflict: the transaction is retried")
    raise exception.DBDeadlock(error)

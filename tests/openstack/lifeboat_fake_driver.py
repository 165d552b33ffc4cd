"""lifeboat_fake_driver - Nova's fake virt driver, whose snapshot() uploads
a real disk image, so a snapshot of a "server" is an image lifeboat can
download and extract. Loaded with
compute_driver = lifeboat_fake_driver.UploadingFakeDriver.

Per server, through its metadata:
  lifeboat-disk            the qcow2 (or raw) file a snapshot uploads
  lifeboat-snapshot-delay  seconds to wait before uploading (a slow one)
  lifeboat-snapshot-fail   any value: the snapshot fails before uploading
"""
import time

from nova.compute import task_states
from nova import exception
from nova.image import glance
from nova.virt import fake


def _disk_format(path):
    with open(path, "rb") as f:
        return "qcow2" if f.read(4) == b"QFI\xfb" else "raw"


class UploadingFakeDriver(fake.FakeDriver):
    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._image_api = glance.API()

    def snapshot(self, context, instance, image_id, update_task_state):
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        meta = instance.metadata or {}
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        delay = float(meta.get("lifeboat-snapshot-delay", "0"))
        if delay > 0:
            time.sleep(delay)
        if "lifeboat-snapshot-fail" in meta:
            raise exception.NovaException("snapshot failed on request (lifeboat-snapshot-fail)")
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)
        path = meta.get("lifeboat-disk")
        if not path:
            raise exception.NovaException("no lifeboat-disk in the server's metadata")
        image = {"disk_format": _disk_format(path), "container_format": "bare"}
        with open(path, "rb") as data:
            self._image_api.update(context, image_id, image, data, purge_props=False)

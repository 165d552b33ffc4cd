# t_extract_appliance.sh - t_extract.sh's hostile-image suite again, read by
# the libguestfs appliance (--reader=appliance): one launch
# lane: appliance
EXTRACT_READER=appliance
. "$TOP/tests/integration/t_extract.sh"

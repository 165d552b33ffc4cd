# t_soak.sh - create/download/verify cycles with seeded random faults (see
# tests/soak/soak.py): bounded to SOAK_SECONDS (60 by default) in make
# check; `make soak` runs all SOAK_CYCLES (1000)

setup_file() { cloud_start --tls; }

t_soak() {
	CLOUD_URL=$CLOUD_URL python3 "$TOP/tests/soak/soak.py" --bin "$LIFEBOAT_BIN" --work "$WORK/soak" \
		--cycles "${SOAK_CYCLES:-1000}" --seconds "${SOAK_SECONDS:-60}" \
		--seed "${SOAK_SEED:-16}"
}

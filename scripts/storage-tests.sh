#!/usr/bin/env bash
# Bounded storage with long training, against real nnserve processes: a 1,011,306-parameter
# Adam model trained 30 epochs with the default retention keeps at most 4 checkpoints, and the
# database plus its WAL stay under 6x (one checkpoint + the data set) after every epoch; then
# the file shrinks as a checkpoint, the model and the data set are deleted. Also runs the
# quick storage and backup/restore tests. Needs `swift build -c release --build-tests`.
# Takes about 15 s on two busy cores; bounded at 300 s.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/nnserve ] || { echo "storage-tests: build first: swift build -c release --build-tests" >&2; exit 2; }
NN_LONG_TESTS=1 timeout 300 swift test -c release --skip-build \
    --filter 'StorageProcessTests|BackupRestoreTests|CheckpointRetentionTests' 2>&1 |
    grep -E "^storage:|Test Case .*(passed|failed|skipped)|error:|Executed .* tests"
# grep hides the exit status of swift test; PIPESTATUS keeps it.
exit "${PIPESTATUS[0]}"

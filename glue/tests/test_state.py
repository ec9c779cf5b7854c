"""Which state version a batch reads, replays included."""
import unittest

from _path import GLUE_DIR  # noqa: F401  (sys.path)
from runner.state import (
    StateError,
    StatePointer,
    decode_pointer,
    encode_pointer,
    next_pointer,
    parse_version_dir,
    pointer_key,
    stale_versions,
    state_prefix_for,
    state_to_read,
)


class StateVersions(unittest.TestCase):
    def test_first_batch_reads_empty_state(self):
        self.assertIsNone(state_to_read(None, 0))

    def test_next_batch_reads_the_last_committed_state(self):
        self.assertEqual(state_to_read(StatePointer(41, 40), 42), 41)
        # Empty batches write nothing: batch ids may jump.
        self.assertEqual(state_to_read(StatePointer(41, 40), 57), 41)

    def test_a_replay_after_commit_reads_what_the_first_attempt_read(self):
        self.assertEqual(state_to_read(StatePointer(42, 41), 42), 41)
        self.assertIsNone(state_to_read(StatePointer(0, None), 0))

    def test_a_reset_checkpoint_is_refused_with_instructions(self):
        with self.assertRaises(StateError) as raised:
            state_to_read(StatePointer(900, 899), 0)
        self.assertIn("checkpoint was reset", str(raised.exception))

    def test_a_run_of_batches_with_a_replay(self):
        pointer = None
        reads = []
        for batch in (0, 1, 2, 2, 3):  # batch 2 replayed after committing its state
            read = state_to_read(pointer, batch)
            reads.append(read)
            pointer = next_pointer(batch, read)
        self.assertEqual(reads, [None, 0, 1, 1, 2])
        self.assertEqual(pointer, StatePointer(3, 2))

    def test_stale_versions_keep_the_pointer_and_what_it_read(self):
        self.assertEqual(stale_versions([0, 1, 2, 3, 3], StatePointer(3, 2)), [0, 1])
        self.assertEqual(stale_versions([0], StatePointer(0, None)), [])

    def test_pointer_round_trip_and_validation(self):
        pointer = StatePointer(7, 5)
        self.assertEqual(decode_pointer(encode_pointer(pointer)), pointer)
        self.assertIsNone(decode_pointer(None))
        for bad in (b'{"batchId":-1,"previous":null}', b'{"batchId":3,"previous":3}', b'{"previous":1}'):
            with self.assertRaises(StateError):
                decode_pointer(bad)

    def test_keys(self):
        self.assertEqual(pointer_key("glue/state/c/"), "glue/state/c/pointer.json")
        self.assertEqual(state_prefix_for("glue/state/c/", "dedup", 9), "glue/state/c/state/dedup/batch=0000000009/")
        self.assertEqual(parse_version_dir("batch=0000000009/"), 9)
        self.assertIsNone(parse_version_dir("pointer.json"))


if __name__ == "__main__":
    unittest.main()

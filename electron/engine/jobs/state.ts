// The job state machine of DESIGN.md. Every change of state goes through `canTransition`, so an
// out-of-order message (a late `progress` after `execution_success`, say) can never undo a final state.
import type { JobState } from '../../../shared/jobs';

const NEXT: Record<JobState, readonly JobState[]> = {
  draft: ['outbox', 'submitting', 'cancelled'],
  outbox: ['submitting', 'cancelled'],
  // An unknown outcome sends a job back to the outbox; the engine checks the server before resending.
  submitting: ['outbox', 'pending', 'running', 'completed', 'failed', 'cancelled', 'interrupted'],
  pending: ['running', 'completed', 'failed', 'cancelled', 'interrupted'],
  running: ['completed', 'failed', 'cancelled', 'interrupted'],
  completed: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

export const OPEN_STATES: readonly JobState[] = ['outbox', 'submitting', 'pending', 'running'];

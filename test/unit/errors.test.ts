import { CaseConflictError, CaseForbiddenError, CaseNotFoundError } from '#domain/cases/transitions.js';
import { DeliveryNotDeadError } from '#domain/webhooks/manual-retry.js';
import { BadRequestError, toErrorResponse } from '#shared/errors.js';
import { InvalidCursorError } from '../../functions/adapters/listing-input.js';

describe('the error table', () => {
  it('maps each domain refusal to its status by kind', () => {
    expect(toErrorResponse(new CaseNotFoundError('no case')).status).toBe(404);
    expect(toErrorResponse(new CaseConflictError('final')).status).toBe(409);
    expect(toErrorResponse(new CaseForbiddenError('four eyes')).status).toBe(403);
    expect(toErrorResponse(new DeliveryNotDeadError('not dead')).status).toBe(409);
    expect(toErrorResponse(new InvalidCursorError('bad cursor')).body.error.code).toBe('INVALID_CURSOR');
    expect(toErrorResponse(new BadRequestError('bad', 'VALIDATION_FAILED', [{ path: 'id', message: 'x' }]))).toEqual({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: 'bad', fields: [{ path: 'id', message: 'x' }] } },
    });
  });

  it('never trusts a name: an error that only calls itself a ConflictError is an internal error', () => {
    const impostor = Object.assign(new Error('secret detail'), { name: 'ConflictError' });
    expect(toErrorResponse(impostor, 'req-1')).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal error', requestId: 'req-1' } },
    });
    expect(toErrorResponse('a string').status).toBe(500);
  });
});

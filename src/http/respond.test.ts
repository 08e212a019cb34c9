import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { errorHandler } from './respond';

/** A logger that records the level of each line. */
function recorder() {
  const lines: string[] = [];
  const at = (level: string) => () => lines.push(level);
  const logger = { error: at('error'), warn: at('warn'), info: at('info') } as unknown as Logger;
  return { logger, lines };
}

const streamed = (destroyed: boolean) => {
  const res = { headersSent: true, destroyed, statusCode: 200, destroy: jest.fn() };
  return res as unknown as Response & { destroy: jest.Mock };
};
const premature = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

describe('errorHandler once a response has started', () => {
  it('when the client went away mid-download, then it is an info line, not an error', () => {
    const { logger, lines } = recorder();
    errorHandler(logger)(premature, {} as Request, streamed(true), jest.fn() as NextFunction);
    expect(lines).toEqual(['info']);
  });

  it('when the stream broke on our side (the connection still open), then it is logged as an error and cut', () => {
    const { logger, lines } = recorder();
    const res = streamed(false);
    errorHandler(logger)(premature, {} as Request, res, jest.fn() as NextFunction);
    expect(lines).toEqual(['error']);
    expect(res.destroy).toHaveBeenCalled();
  });
});

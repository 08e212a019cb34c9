import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { AppError } from '../core';
import { bodyTypes, escapeXml, formBody, guardBody, jsonBody } from '../http';
import { answerSurvey, readSurvey, type SurveyView } from './surveys';

const wantsJson = (req: Request) =>
  req.is('application/json') === 'application/json' || req.accepts(['html', 'json']) === 'json';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title><style>
body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
fieldset{border:1px solid #767676;margin:1rem 0;padding:.5rem 1rem}legend{font-weight:600}
label{display:inline-block;margin:.25rem .75rem .25rem 0;padding:.25rem}input[type=radio]{width:1.2rem;height:1.2rem}
textarea{width:100%;min-height:6rem;font:inherit}button{font:inherit;padding:.5rem 1.5rem;background:#0b4f8a;color:#fff;border:0;border-radius:4px}
button:focus,input:focus,textarea:focus{outline:3px solid #f2a900;outline-offset:2px}</style></head><body>${body}</body></html>`;
}

function scale(name: string, legend: string): string {
  const options = [1, 2, 3, 4, 5]
    .map(
      (n) =>
        `<label><input type="radio" name="${name}" value="${n}" required> ${n}${n === 1 ? ' (poor)' : n === 5 ? ' (excellent)' : ''}</label>`,
    )
    .join('');
  return `<fieldset><legend>${legend}</legend>${options}</fieldset>`;
}

function form(token: string, s: SurveyView): string {
  if (s.answered) return page('Thank you', '<h1>Thank you</h1><p>This survey has already been answered.</p>');
  if (s.expired) return page('Survey closed', '<h1>Survey closed</h1><p>This survey has expired.</p>');
  return page(
    'How did we do?',
    `<h1>How did we do?</h1><p>Your request ${escapeXml(s.service_request_id)} (${escapeXml(s.service_name)}) was closed. Please rate it.</p>
<form method="post" action="/surveys/${encodeURIComponent(token)}">
${scale('service_rating', 'The service you received')}
${scale('timeliness_rating', 'How quickly it was done')}
<p><label for="comment">Comment (optional)</label><br><textarea id="comment" name="comment" maxlength="2000"></textarea></p>
<button type="submit">Send</button></form>`,
  );
}

/** GET/POST /surveys/{token}: a small accessible HTML form, or JSON for apps (Accept / Content-Type). */
export function surveysRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(
    bodyTypes(['application/x-www-form-urlencoded', 'application/json']),
    formBody(16_384, false),
    jsonBody(16_384),
    guardBody,
  );
  const ttl = ctx.config.surveyTtlDays;

  /** A refusal as the page a resident's browser shows (an app asking JSON gets the Open311 error list). */
  const refusal = (req: Request, res: Response, err: unknown): void => {
    if (wantsJson(req) || !(err instanceof AppError)) throw err;
    res
      .status(err.status)
      .type('html')
      .send(
        page(
          'Survey',
          `<h1>Sorry</h1><p role="alert">${escapeXml(err.errors.map((e) => e.description).join(' '))}</p>`,
        ),
      );
  };

  router.get('/:token', async (req: Request, res: Response) => {
    const token = String(req.params.token);
    let s: SurveyView;
    try {
      s = await readSurvey(ctx.knex, token, ctx.clock(), ttl);
    } catch (err) {
      // A link mistyped or cut short by a mail client: a page, not JSON, in the resident's browser (probe).
      return refusal(req, res, err);
    }
    if (wantsJson(req)) res.json(s);
    else res.type('html').send(form(token, s));
  });

  router.post('/:token', async (req: Request, res: Response) => {
    try {
      await answerSurvey(
        ctx.knex,
        String(req.params.token),
        (req.body ?? {}) as Record<string, unknown>,
        ctx.clock(),
        ttl,
      );
    } catch (err) {
      return refusal(req, res, err);
    }
    if (wantsJson(req)) res.status(201).json({ status: 'recorded' });
    else
      res
        .status(201)
        .type('html')
        .send(page('Thank you', '<h1>Thank you</h1><p>Your answer has been recorded.</p>'));
  });
  return router;
}

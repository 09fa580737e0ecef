import * as z from 'zod';
import { DownloadAssetBody, ServeAssetQuery, UploadBase64Body } from '../../core/schemas/inputs.ts';
import { DownloadAssetOutput, UploadAssetOutput } from '../../core/schemas/outputs.ts';
import { ApiError, badRequest } from '../../core/errors.ts';
import { MAX_UPLOAD_BYTES, type ReceivedFile } from '../../core/services/assets.ts';
import { route } from '../route.ts';
import { serveFile } from '../serve-file.ts';

const UploadMultipart = z
  .object({
    file: z.string().meta({ format: 'binary' }).describe('The file (up to 500 MB).'),
    fileName: z.string().optional().describe('File name; defaults to the name of the uploaded part.'),
    mimeType: z.string().optional().describe('MIME type; detected from the content when absent.'),
  })
  .meta({ id: 'UploadAssetMultipart' });

const MAX_FIELDS = 10;
const MAX_FILES = 1;
const tooMany = (what: string) => new ApiError(413, 'PAYLOAD_TOO_LARGE', `The form has ${what}; send one "file" part and at most fileName and mimeType.`);

export const assetRoutes = [
  route({
    method: 'POST',
    path: '/v1/assets/upload',
    operationId: 'uploadAsset',
    tag: 'Files',
    summary: 'Upload a file',
    description: 'Stores a file sent as multipart/form-data (streamed to disk, up to 500 MB). The uploadID it returns can be attached to a message or a draft.',
    scope: 'write',
    multipart: UploadMultipart,
    response: { status: 200, schema: UploadAssetOutput },
    async handler({ core, request, reply }) {
      if (!request.isMultipart()) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data with a "file" part.');
      const fields = new Map<string, string>();
      let received: ReceivedFile | undefined;
      // Fields may come before or after the file; the bytes are stored as they arrive
      // and named once the whole form has been read. The limits are checked here, one
      // past the parser's own, whose errors can leave a part waiting forever.
      try {
        for await (const part of request.parts({ limits: { fileSize: MAX_UPLOAD_BYTES, files: MAX_FILES + 1, fields: MAX_FIELDS + 1, parts: MAX_FILES + MAX_FIELDS + 2 } })) {
          if (part.type === 'field') {
            if (fields.size >= MAX_FIELDS) throw tooMany(`more than ${MAX_FIELDS} form fields`);
            fields.set(part.fieldname, String(part.value));
          } else if (received) {
            part.file.resume();
            throw tooMany('more than one file');
          } else if (part.fieldname === 'file') received = await core.assets.receive(part.file, part.filename);
          else part.file.resume();
        }
      } catch (err) {
        if (received) await core.assets.discard(received);
        reply.header('connection', 'close'); // the rest of the form is not read
        throw err;
      }
      if (!received) throw badRequest('VALIDATION_ERROR', 'The form has no "file" part.', { issues: [{ code: 'invalid_type', message: 'file is required', path: ['body', 'file'] }] });
      return core.assets.finishUpload(received, { fileName: fields.get('fileName'), mimeType: fields.get('mimeType') });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/assets/upload/base64',
    operationId: 'uploadAssetBase64',
    tag: 'Files',
    summary: 'Upload a file as base64',
    description: 'The same as the multipart upload, with the content base64-encoded in a JSON body.',
    scope: 'write',
    body: UploadBase64Body,
    bodyLimit: 760 * 1024 * 1024,
    response: { status: 200, schema: UploadAssetOutput },
    async handler({ core, body }) {
      const clean = body.content.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) {
        throw badRequest('VALIDATION_ERROR', 'content is not base64.', { issues: [{ code: 'invalid_format', message: 'not base64', path: ['body', 'content'] }] });
      }
      return core.assets.saveUpload(Buffer.from(clean, 'base64'), { fileName: body.fileName, mimeType: body.mimeType });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/assets/download',
    operationId: 'downloadAsset',
    tag: 'Files',
    summary: 'Get a local copy of media',
    description: 'Turns an mxc:// or localmxc:// URL into a file:// URL on this machine. Other URLs are refused: the server never fetches arbitrary URLs.',
    scope: 'read',
    body: DownloadAssetBody,
    response: { status: 200, schema: DownloadAssetOutput },
    handler: ({ core, body }) => core.assets.download(body.url),
  }),
  route({
    method: 'GET',
    path: '/v1/assets/serve',
    operationId: 'serveAsset',
    tag: 'Files',
    summary: 'Stream a file',
    description: 'Streams media (mxc://, localmxc://) or a file:// URL inside the data directory, with Range (206), ETag / If-None-Match (304) and 416 for unsatisfiable ranges.',
    scope: 'read',
    query: ServeAssetQuery,
    response: { status: 200, schema: null, contentType: 'application/octet-stream' },
    extraResponses: { 206: 'Part of the file (Range).', 304: 'Not modified (ETag matched).', 416: 'The range lies outside the file.' },
    async handler({ core, query, request, reply }) {
      return serveFile(request, reply, await core.assets.servable(query.url));
    },
  }),
];

import {
  CurrentPrincipal,
  CurrentReach,
  Ownership,
  OwnershipRule,
  RequireScopes,
  Scope,
  type Principal,
  type Reach,
} from '@orderops/access';
import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { auditActorOf } from '@orderops/auth';
import { ApiProblems, InjectConfig, OwnBodyTimeout, type AppConfig } from '@orderops/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ImportMediaTypeError, ImportTooLargeError } from '../orders.errors.js';
import { principalRef } from '../orders/orders.service.js';
import { ImportOrdersQueryDto, ImportQueryDto } from './dto/import-requests.dto.js';
import { ImportOrdersResponse, ImportReportResponse, StoredImportResponse } from './dto/import.response.js';
import type { ImportReport } from './import-report.js';
import { ImportSlots } from './import-slots.js';
import { UploadSpool } from './import-spool.js';
import { ImportsService } from './imports.service.js';

@ApiTags('orders')
@Controller('orders/imports')
export class ImportsController {
  constructor(
    private readonly imports: ImportsService,
    private readonly slots: ImportSlots,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  // Up to IMPORT_MAX_BYTES over slow links: the general HTTP_BODY_TIMEOUT_MS would cut it.
  @OwnBodyTimeout()
  @HttpCode(201)
  @RequireScopes(Scope.OrdersImport)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({
    summary: 'Import an order file (CSV): all valid rows in one transaction, a report of the rest',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: ImportReportResponse })
  @ApiResponse({ status: 400, description: 'The upload broke off before the whole file arrived' })
  @ApiResponse({ status: 408, description: 'No bytes arrived for IMPORT_IDLE_TIMEOUT_MS' })
  @ApiResponse({ status: 409, description: 'The same file was imported before (importId names it)' })
  @ApiResponse({ status: 413, description: 'The file exceeds IMPORT_MAX_BYTES' })
  @ApiResponse({
    status: 415,
    description: 'Not text/csv in UTF-8, or a Content-Encoding other than identity (compressed)',
  })
  @ApiResponse({
    status: 422,
    description: 'Not an order file (empty, header only, encoding, CSV syntax), or strict and rows invalid',
  })
  @ApiResponse({
    status: 429,
    description: 'Too many imports running, for this caller or for the service; see Retry-After',
  })
  @ApiResponse({ status: 503, description: 'No room to receive the file right now; see Retry-After' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
    @Query() query: ImportQueryDto,
    @Headers('content-length') contentLength: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportReportResponse> {
    // The body may be left unread (413, 409 or an error): the connection is not reused.
    void reply.header('connection', 'close');
    if (!(request.body instanceof Readable)) throw new ImportMediaTypeError();
    if (contentLength !== undefined && Number(contentLength) > this.config.importMaxBytes) {
      throw new ImportTooLargeError(this.config.importMaxBytes);
    }
    // Refused before a byte of the body is read, so a refused upload costs nothing.
    const slot = this.slots.acquire(principalRef(principal));
    const upload = new UploadSpool(request.body, {
      dir: join(this.config.dataDir, 'uploads'),
      maxBytes: this.config.importMaxBytes,
      idleTimeoutMs: this.config.importIdleTimeoutMs,
      ...(contentLength === undefined ? {} : { expectedBytes: Number(contentLength) }),
    });
    let report: ImportReport;
    try {
      report = await this.imports.import(
        { createdBy: principalRef(principal), actor: auditActorOf(principal), reach },
        upload,
        { strict: query.strict === 'true', allowDuplicate: query.allowDuplicate === 'true' },
      );
    } finally {
      slot.release();
      await upload.dispose();
    }
    void reply.header('Location', `/orders/imports/${report.id}`);
    return Object.assign(new ImportReportResponse(), report);
  }

  @Get(':id')
  @RequireScopes(Scope.OrdersImport)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'An import and its stored report' })
  @ApiOkResponse({ type: StoredImportResponse })
  @ApiProblems({ 400: 'Not an import id', 404: 'No import you can see has this id' })
  async get(@Param('id') id: string, @CurrentReach() reach: Reach): Promise<StoredImportResponse> {
    return Object.assign(new StoredImportResponse(), await this.imports.get(id, reach));
  }

  @Get(':id/orders')
  @RequireScopes(Scope.OrdersImport)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'The ids of the orders an import created, a page at a time, oldest first' })
  @ApiOkResponse({ type: ImportOrdersResponse })
  @ApiProblems({
    400: 'Not an import id, a bad limit or a cursor this API did not issue',
    404: 'No import you can see has this id',
  })
  async orders(
    @Param('id') id: string,
    @Query() query: ImportOrdersQueryDto,
    @CurrentReach() reach: Reach,
  ): Promise<ImportOrdersResponse> {
    return Object.assign(new ImportOrdersResponse(), await this.imports.orderIds(id, reach, query));
  }
}

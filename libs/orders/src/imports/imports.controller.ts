import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { auditActorOf } from '@orderops/auth';
import {
  CurrentPrincipal,
  InjectConfig,
  OwnBodyTimeout,
  RequireScopes,
  Scope,
  type AppConfig,
  type Principal,
} from '@orderops/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { ImportMediaTypeError, ImportTooLargeError } from '../orders.errors.js';
import { principalRef } from '../orders/orders.service.js';
import { ImportQueryDto } from './dto/import-requests.dto.js';
import { ImportReportResponse, StoredImportResponse } from './dto/import.response.js';
import { ImportsService } from './imports.service.js';

@ApiTags('orders')
@Controller('orders/imports')
export class ImportsController {
  constructor(
    private readonly imports: ImportsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  // Up to IMPORT_MAX_BYTES over slow links: the general HTTP_BODY_TIMEOUT_MS would cut it.
  @OwnBodyTimeout()
  @HttpCode(201)
  @RequireScopes(Scope.OrdersImport)
  @ApiOperation({
    summary: 'Import an order file (CSV): all valid rows in one transaction, a report of the rest',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: ImportReportResponse })
  async create(
    @CurrentPrincipal() principal: Principal,
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
    const report = await this.imports.import(
      { createdBy: principalRef(principal), actor: auditActorOf(principal) },
      request.body,
      { strict: query.strict === 'true', allowDuplicate: query.allowDuplicate === 'true' },
    );
    void reply.header('Location', `/orders/imports/${report.id}`);
    return Object.assign(new ImportReportResponse(), report);
  }

  @Get(':id')
  @RequireScopes(Scope.OrdersImport)
  @ApiOperation({ summary: 'An import and its stored report' })
  @ApiOkResponse({ type: StoredImportResponse })
  async get(@Param('id') id: string): Promise<StoredImportResponse> {
    return Object.assign(new StoredImportResponse(), await this.imports.get(id));
  }
}

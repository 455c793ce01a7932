import { RequireScopes, Scope } from '@orderops/access';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { signTreeHead } from './audit-checkpoint.js';
import { AuditLog } from './audit-log.service.js';
import {
  toAuditEventPageResponse,
  toAuditVerificationResponse,
  toConsistencyProofResponse,
  toInclusionProofResponse,
} from './audit.mappers.js';
import { AuditService } from './audit.service.js';
import {
  AuditEventPageResponse,
  AuditVerificationResponse,
  ListAuditEventsQuery,
} from './dto/audit-events.dto.js';
import {
  AuditEventPositionParams,
  ConsistencyProofQuery,
  ConsistencyProofResponse,
  InclusionProofQuery,
  InclusionProofResponse,
  SignedTreeHeadResponse,
} from './dto/audit-log.dto.js';
import { TreeHeadSigner } from './tree-head-signer.js';

const DEFAULT_LIMIT = 20;

@ApiTags('audit')
@RequireScopes(Scope.AuditRead)
@Controller('audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly log: AuditLog,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Audit events, newest first, with filters and cursor pagination' })
  @ApiOkResponse({ type: AuditEventPageResponse })
  @ApiBadRequestResponse({ description: 'Invalid filter or cursor' })
  async list(@Query() query: ListAuditEventsQuery): Promise<AuditEventPageResponse> {
    const page = await this.audit.list({
      action: query.action,
      actor: query.actor,
      targetId: query.targetId,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      cursor: query.cursor,
      limit: query.limit ?? DEFAULT_LIMIT,
    });
    return toAuditEventPageResponse(page);
  }

  @Get('verify')
  @ApiOperation({
    summary:
      'Verify the whole log: every event against its leaf, seq contiguous, the tree and every stored head',
  })
  @ApiOkResponse({ type: AuditVerificationResponse })
  async verify(): Promise<AuditVerificationResponse> {
    return toAuditVerificationResponse(await this.log.verify());
  }

  @Get('tree-head')
  @ApiOperation({
    summary:
      'The current signed tree head (size, Merkle root, time), ES256-signed with a JWKS key; keep it as a checkpoint',
  })
  @ApiOkResponse({ type: SignedTreeHeadResponse })
  async treeHead(): Promise<SignedTreeHeadResponse> {
    const head = await this.log.currentHead();
    const signer = this.moduleRef.get(TreeHeadSigner, { strict: false });
    return signTreeHead(
      { treeSize: head.treeSize, rootHash: head.rootHash, at: (head.at ?? new Date()).toISOString() },
      signer.currentSigner(),
    );
  }

  @Get('events/:seq/proof')
  @ApiOperation({ summary: 'RFC 9162 inclusion proof of the event at seq in the tree of treeSize events' })
  @ApiOkResponse({ type: InclusionProofResponse })
  @ApiBadRequestResponse({ description: 'treeSize beyond the current head, or seq beyond treeSize' })
  @ApiNotFoundResponse({ description: 'No event has this position yet' })
  async inclusionProof(
    @Param() params: AuditEventPositionParams,
    @Query() query: InclusionProofQuery,
  ): Promise<InclusionProofResponse> {
    const proof = await this.log.inclusionProof(String(params.seq), query.treeSize?.toString());
    return toInclusionProofResponse(proof);
  }

  @Get('consistency')
  @ApiOperation({
    summary: 'RFC 9162 consistency proof that the tree of `from` events is a prefix of the tree of `to`',
  })
  @ApiOkResponse({ type: ConsistencyProofResponse })
  @ApiBadRequestResponse({ description: 'to beyond the current head, or from beyond to' })
  async consistencyProof(@Query() query: ConsistencyProofQuery): Promise<ConsistencyProofResponse> {
    return toConsistencyProofResponse(await this.log.consistencyProof(String(query.from), String(query.to)));
  }
}

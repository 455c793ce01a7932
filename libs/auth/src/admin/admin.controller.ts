import { CurrentPrincipal, RequireScopes, type Principal, Scope } from '@orderops/access';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiProblems } from '@orderops/core';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ClientsService, PREVIOUS_SECRET_DEFAULT_SECONDS } from '../clients/clients.service.js';
import { SigningKeysService } from '../keys/signing-keys.service.js';
import { OperatorsService } from '../operators/operators.service.js';
import { auditActorOf } from '../principal.js';
import {
  ClientResponse,
  CreateClientDto,
  CreatedClientResponse,
  CreateOperatorDto,
  OperatorResponse,
  RotateClientSecretDto,
  RotatedClientSecretResponse,
  RotatedKeysResponse,
  SigningKeyResponse,
  UpdateClientDto,
  UpdateOperatorDto,
} from './admin.dto.js';
import { toClientResponse, toOperatorResponse } from './admin.mappers.js';

@ApiTags('admin')
@RequireScopes(Scope.Admin)
@Controller('admin')
export class AdminController {
  constructor(
    private readonly operators: OperatorsService,
    private readonly clients: ClientsService,
    private readonly keys: SigningKeysService,
  ) {}

  @Post('operators')
  @ApiOperation({ summary: 'Create an operator' })
  @ApiCreatedResponse({ type: OperatorResponse })
  @ApiProblems({
    400: 'Invalid fields or a password the policy refuses (see errors[])',
    409: 'username-taken',
  })
  async createOperator(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateOperatorDto,
  ): Promise<OperatorResponse> {
    const actor = auditActorOf(principal);
    return toOperatorResponse(await this.operators.create(body.username, body.password, body.scopes, actor));
  }

  @Get('operators')
  @ApiOperation({ summary: 'List operators' })
  @ApiOkResponse({ type: OperatorResponse, isArray: true })
  async listOperators(): Promise<OperatorResponse[]> {
    return (await this.operators.list()).map((o) => toOperatorResponse(o));
  }

  @Get('operators/:id')
  @ApiOperation({ summary: 'Get an operator' })
  @ApiOkResponse({ type: OperatorResponse })
  @ApiProblems({ 404: 'No operator has this id' })
  async getOperator(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<OperatorResponse> {
    return toOperatorResponse(await this.operators.get(id));
  }

  @Patch('operators/:id')
  @ApiOperation({ summary: 'Change scopes, disable/enable, or reset the password (voids existing tokens)' })
  @ApiOkResponse({ type: OperatorResponse })
  @ApiProblems({ 400: 'Invalid fields (see errors[])', 404: 'No operator has this id' })
  @ApiResponse({
    status: 409,
    description: 'last-admin: the change would leave no enabled operator holding the admin scope',
  })
  async updateOperator(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body() body: UpdateOperatorDto,
  ): Promise<OperatorResponse> {
    return toOperatorResponse(await this.operators.update(id, body, auditActorOf(principal)));
  }

  @Post('clients')
  @ApiOperation({
    summary:
      'Create a partner client: a machine (client_credentials) or an app with redirect URIs (authorization code + PKCE); a secret is shown once',
  })
  @ApiCreatedResponse({ type: CreatedClientResponse })
  @ApiConflictResponse({ description: 'client-name-taken: another client has this name (any case)' })
  @ApiProblems({ 400: 'Invalid fields, redirect URIs or grant combination (see errors[])' })
  async createClient(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateClientDto,
  ): Promise<CreatedClientResponse> {
    const { client, secret } = await this.clients.register(body, auditActorOf(principal));
    return { ...toClientResponse(client), clientSecret: secret };
  }

  @Patch('clients/:clientId')
  @ApiOperation({ summary: "Change a client's grant types, redirect URIs or token endpoint method" })
  @ApiOkResponse({ type: ClientResponse })
  @ApiProblems({
    400: 'Invalid fields, redirect URIs or grant combination (see errors[])',
    404: 'No client has this id',
    409: 'built-in-client: the built-in apps take their flows and redirect URIs from configuration',
  })
  async updateClient(
    @CurrentPrincipal() principal: Principal,
    @Param('clientId') clientId: string,
    @Body() body: UpdateClientDto,
  ): Promise<ClientResponse> {
    return toClientResponse(await this.clients.updateFlows(clientId, body, auditActorOf(principal)));
  }

  @Get('clients')
  @ApiOperation({ summary: 'List clients' })
  @ApiOkResponse({ type: ClientResponse, isArray: true })
  async listClients(): Promise<ClientResponse[]> {
    return (await this.clients.list()).map(toClientResponse);
  }

  @Delete('clients/:clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a partner client; its tokens stop working' })
  @ApiProblems({ 404: 'No client has this id', 409: 'Built-in clients cannot be deleted' })
  async deleteClient(
    @CurrentPrincipal() principal: Principal,
    @Param('clientId') clientId: string,
  ): Promise<void> {
    await this.clients.delete(clientId, auditActorOf(principal));
  }

  @Post('clients/:clientId/secret')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Rotate a partner client secret; the new one is shown once, the old one works until previousSecretValidUntil',
  })
  @ApiOkResponse({ type: RotatedClientSecretResponse })
  @ApiConflictResponse({ description: 'public-client-secret: public clients have no secret to rotate' })
  async rotateClientSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('clientId') clientId: string,
    @Body() body: RotateClientSecretDto,
  ): Promise<RotatedClientSecretResponse> {
    const rotated = await this.clients.rotateSecret(
      clientId,
      body.previousValidForSeconds ?? PREVIOUS_SECRET_DEFAULT_SECONDS,
      auditActorOf(principal),
    );
    return {
      clientId: rotated.client.clientId,
      clientSecret: rotated.secret,
      previousSecretValidUntil: rotated.previousValidUntil?.toISOString() ?? null,
    };
  }

  @Get('signing-keys')
  @ApiOperation({ summary: 'List token-signing keys' })
  @ApiOkResponse({ type: SigningKeyResponse, isArray: true })
  listKeys(): Promise<SigningKeyResponse[]> {
    return this.keys.list();
  }

  @Post('signing-keys/rotate')
  @ApiOperation({ summary: 'Rotate the signing key; the previous key verifies until its tokens expire' })
  @ApiCreatedResponse({ type: RotatedKeysResponse })
  rotateKeys(@CurrentPrincipal() principal: Principal): Promise<RotatedKeysResponse> {
    return this.keys.rotate(auditActorOf(principal));
  }
}
